from django.conf import settings


def clinic(request):
    return {"clinic": settings.TRUFFLES_CLINIC}
