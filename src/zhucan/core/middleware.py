"""Chinese first: the language is zh-Hans unless the user chose another one (language cookie).

Django's LocaleMiddleware would follow the browser's Accept-Language, so an official on an
English-language browser would get English without asking for it; here only an explicit choice
(the language switcher sets the cookie) changes the language.
"""

from django.conf import settings
from django.utils import translation


class ChineseFirstLocaleMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response
        self.supported = {code for code, _ in settings.LANGUAGES}

    def __call__(self, request):
        chosen = request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME)
        language = chosen if chosen in self.supported else settings.LANGUAGE_CODE
        translation.activate(language)
        request.LANGUAGE_CODE = language
        response = self.get_response(request)
        response.headers.setdefault("Content-Language", language)
        translation.deactivate()
        return response
