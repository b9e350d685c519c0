"""Patients in their sixties must see where to type and tick: WCAG 1.4.11, which axe does not test."""

import pytest

from tests.appointments.fixtures import local

pytestmark = pytest.mark.django_db(transaction=True)

# Relative luminance and contrast as WCAG defines them, computed in the page from computed styles.
CONTRAST_JS = """
(element, part) => {
  const channels = (colour) => colour.match(/[\\d.]+/g).slice(0, 4).map(Number);
  const luminance = ([r, g, b]) => {
    const linear = (c) => { c /= 255; return c <= 0.03928 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4; };
    return 0.2126 * linear(r) + 0.7152 * linear(g) + 0.0722 * linear(b);
  };
  const backgroundOf = (node) => {
    for (let n = node.parentElement; n; n = n.parentElement) {
      const colour = channels(getComputedStyle(n).backgroundColor);
      if (colour.length < 4 || colour[3] > 0) return colour;
    }
    return [255, 255, 255];
  };
  const style = getComputedStyle(element);
  const colour = channels(part === "outline" ? style.outlineColor : style.borderTopColor);
  const [a, b] = [luminance(colour), luminance(backgroundOf(element))].sort((x, y) => y - x);
  const width = parseFloat(part === "outline" ? style.outlineWidth : style.borderTopWidth);
  return {ratio: (a + 0.05) / (b + 0.05), width};
}
"""


@pytest.fixture
def details_url(clinic, booking_day, risk_factors):
    start = local(booking_day, 9).isoformat().replace("+", "%2B")
    return f"/appointments/request/details/?visit_type=vein-evaluation&provider={clinic['marsh'].pk}&start={start}"


def controls(page):
    return {
        "text box": page.get_by_label("First name*", exact=True),
        "select or text box": page.get_by_label("Email*", exact=True),
        "checkbox": page.locator("input[type=checkbox][name=reasons]").first,
        "radio": page.locator("input[type=radio]").first,
    }


def test_form_control_borders_stand_out_at_three_to_one(page, details_url):
    page.goto(details_url)
    for name, control in controls(page).items():
        border = control.evaluate(CONTRAST_JS, "border")
        assert border["width"] >= 1, name
        assert border["ratio"] >= 3, f"{name} border contrast {border['ratio']:.2f}:1"


def test_focus_ring_stands_out_at_three_to_one(page, details_url):
    page.goto(details_url)
    for name, control in controls(page).items():
        control.focus()
        ring = control.evaluate(CONTRAST_JS, "outline")
        assert ring["width"] >= 2, name
        assert ring["ratio"] >= 3, f"{name} focus ring contrast {ring['ratio']:.2f}:1"


def test_checkboxes_and_radios_are_at_least_24_pixels(page, details_url):
    page.goto(details_url)
    boxes = page.locator("input[type=checkbox]:visible, input[type=radio]:visible")
    assert boxes.count() >= 4
    for index in range(boxes.count()):
        size = boxes.nth(index).bounding_box()
        assert size["width"] >= 24, f"control {index} is {size}"
        assert size["height"] >= 24, f"control {index} is {size}"


def test_start_page_radios_and_select_are_visible_too(page, clinic):
    page.goto("/appointments/request/")
    for control in (page.locator("input[type=radio]").first, page.get_by_label("Specialist")):
        assert control.evaluate(CONTRAST_JS, "border")["ratio"] >= 3
    assert page.locator("input[type=radio]").first.bounding_box()["height"] >= 24
