from axes.helpers import get_cool_off
from django.contrib import admin
from django.shortcuts import render


def locked_out(request, original_response=None, credentials=None):
    """Axes' lockout page, inside the admin's look, with the wait time spelled out."""
    cool_off = get_cool_off(request)
    minutes = int(cool_off.total_seconds() // 60) if cool_off else None
    context = {**admin.site.each_context(request), "title": "Sign-in locked", "cool_off_minutes": minutes}
    return render(request, "staff/locked_out.html", context, status=429)
