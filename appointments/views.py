from django.shortcuts import render


def request_start(request):
    return render(request, "appointments/request_start.html")
