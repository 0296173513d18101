from django.contrib.auth.decorators import login_required
from django.shortcuts import render


@login_required
def home(request):
    """The signed-in user's start page; the dashboard fills it by role."""
    return render(request, "xigang/home.html")
