"""deploy/nginx.conf is a configuration nginx accepts, once the placeholders are filled in."""

import shutil
import subprocess
from pathlib import Path

import pytest
from django.conf import settings

CONF = Path(settings.BASE_DIR) / "deploy" / "nginx.conf"


def filled_in(tmp_path):
    """The shipped file with its certificate, cache, log and pid paths pointing into tmp_path."""
    openssl = shutil.which("openssl") or "/usr/bin/openssl"
    subprocess.run(
        [openssl, "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=clinic.example",
         "-keyout", tmp_path / "privkey.pem", "-out", tmp_path / "fullchain.pem"],
        check=True, capture_output=True, timeout=60,
    )  # fmt: skip
    text = CONF.read_text()
    for placeholder, local in [
        ("/etc/ssl/truffles/", f"{tmp_path}/"),
        ("/var/cache/nginx/truffles", f"{tmp_path}/cache"),
        ("/var/log/nginx/", f"{tmp_path}/"),
        ("/run/nginx-truffles.pid", f"{tmp_path}/nginx.pid"),
        ("/srv/truffles/", f"{settings.BASE_DIR}/"),
    ]:
        assert placeholder in text, placeholder
        text = text.replace(placeholder, local)
    conf = tmp_path / "nginx.conf"
    conf.write_text(text)
    return conf


@pytest.mark.process
def test_nginx_accepts_the_shipped_configuration(tmp_path):
    nginx = shutil.which("nginx") or "/usr/sbin/nginx"
    conf = filled_in(tmp_path)
    result = subprocess.run(
        [nginx, "-t", "-c", str(conf), "-e", str(tmp_path / "error.log")], capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stderr
    assert "syntax is ok" in result.stderr
    assert "test is successful" in result.stderr


def test_the_micro_cache_is_limited_to_article_pages_of_visitors_without_a_session():
    text = CONF.read_text()
    cached_locations = [block for block in text.split("location ")[1:] if "proxy_cache truffles_pages" in block]
    assert [block.split()[0] for block in cached_locations] == ["/articles/"]
    assert "proxy_no_cache $truffles_has_session $truffles_sets_cookie" in cached_locations[0]
    assert "proxy_cache_bypass $truffles_has_session" in cached_locations[0]


def test_pages_with_patient_details_are_never_compressed_by_the_front():
    text = CONF.read_text()
    for prefix in ("/admin/", "/appointments/manage/"):
        block = text.split(f"location {prefix} {{", 1)[1].split("}", 1)[0]
        assert "gzip off;" in block
        assert "brotli off;" in block
