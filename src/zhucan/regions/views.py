from django.shortcuts import render

from zhucan.accounts.gate import requires
from zhucan.regions.selectors import region_list


@requires("region", "view")
def region_tree(request):
    nodes = list(region_list(user=request.user).order_by("path"))
    for node in nodes:
        node.depth = node.path.count("/") - 1
    return render(request, "regions/tree.html", {"nodes": nodes})
