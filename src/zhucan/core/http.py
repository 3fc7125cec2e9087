"""Small helpers the console views share: pagination, client address, and turning a DomainError
into a form error or a message. The permission gate is `zhucan.accounts.gate.requires`."""

from __future__ import annotations

from django.core.paginator import Paginator

from zhucan.core.errors import DomainError, NotFound

PAGE_SIZE = 50


def client_ip(request) -> str | None:
    return request.META.get("REMOTE_ADDR")


def paginate(request, queryset, per_page: int = PAGE_SIZE):
    paginator = Paginator(queryset, per_page)
    page = paginator.get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return page, query.urlencode()


def add_domain_error(form, exc: DomainError) -> None:
    """Show a service's refusal next to the field it names (or on top of the form)."""
    field = exc.field if exc.field in form.fields else None
    form.add_error(field, exc.message_zh)


def run_service(request, call, success: str) -> bool:
    """Run a console action's service call: success → a success message; a refusal (DomainError)
    → its Chinese message on the page, nothing written. Not-found / not-yours is re-raised so the
    caller answers with the same 404 page as for a missing id."""
    from django.contrib import messages

    try:
        call()
    except NotFound:
        raise
    except DomainError as exc:
        messages.error(request, exc.message_zh)
        return False
    messages.success(request, success)
    return True
