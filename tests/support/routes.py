"""Every URL pattern of config.urls, discovered at import time, with what the access rules need to know.

The isolation, role and two-factor suites parametrize over ``all_routes()``, so a route added later is
covered without editing them. ``Route.build`` turns a pattern into a concrete path by filling each
converter or regex group with a caller-supplied value and checks that the path resolves back to the same
pattern (a value that does not match the converter is replaced by a generic fallback).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from django.urls import URLPattern, URLResolver, get_resolver, resolve
from django.urls.exceptions import Resolver404
from django.urls.resolvers import ResolverMatch, RoutePattern

from tenants.access import MODULES, Module, module_for

# <int:pk>, <slug:schema>, <object_id> (no converter means str)
_ROUTE_PARAM = re.compile(r"<(?:(?P<converter>[^>:]+):)?(?P<name>\w+)>")
# (?P<app_label>tenants|common); the groups Django's own patterns use are not nested.
_REGEX_GROUP = re.compile(r"\(\?P<(?P<name>\w+)>(?P<body>[^()]*)\)")

# Used when the caller's value does not fit a pattern (an int converter given a slug, a regex
# alternation, a uuid converter); the first one that makes the path resolve back to the route wins.
_FALLBACKS = ("1", "nakatosa", "x", "does-not-exist", "00000000-0000-4000-8000-000000000000")  # the last: <uuid:>

Values = Callable[["Route", str, str], str]


@dataclass(frozen=True)
class Route:
    route: str  # the full pattern text, e.g. "accounts/security/tokens/<int:pk>/revoke/"
    name: str | None  # "accounts:revoke_token" (None for unnamed patterns)
    namespaces: tuple[str, ...]
    callback: Callable[..., Any]
    chain: tuple[Any, ...]  # the pattern objects from the root to the leaf

    def __str__(self) -> str:
        return "/" + self.route

    @property
    def is_api(self) -> bool:
        return "api" in self.namespaces

    @property
    def is_public(self) -> bool:
        """Reachable without logging in (Django's login_not_required); API routes answer to DRF instead."""
        return not self.is_api and getattr(self.callback, "login_required", True) is False

    @property
    def is_otp_exempt(self) -> bool:
        return bool(getattr(self.callback, "otp_exempt", False))

    @property
    def view_class(self) -> type | None:
        return getattr(self.callback, "cls", None) or getattr(self.callback, "view_class", None)

    def module(self, match: ResolverMatch | None = None) -> Module | None:
        if self.is_api:
            key = getattr(self.view_class, "kyodo_module", None)
            return MODULES[key] if key else None
        return module_for(match) if match is not None else _namespace_module(self.namespaces)

    def params(self) -> list[tuple[str, str]]:
        """(name, converter) of every parameter; regex groups report the converter "regex"."""
        found: list[tuple[str, str]] = []
        for pattern in self.chain:
            text = str(pattern.pattern)
            if isinstance(pattern.pattern, RoutePattern):
                found += [(m["name"], m["converter"] or "str") for m in _ROUTE_PARAM.finditer(text)]
            else:
                found += [(m["name"], "regex") for m in _REGEX_GROUP.finditer(text)]
        return found

    def build(self, values: Values | None = None) -> str:
        """A concrete path for this route, e.g. "/accounts/security/tokens/17/revoke/"."""
        chosen: dict[str, str] = {}
        for name, converter in self.params():
            preferred = values(self, name, converter) if values is not None else "1"
            chosen[name] = preferred
        path = self._fill(chosen)
        if self._resolves_here(path):
            return path
        # Try the fallbacks one parameter at a time (patterns here have at most two parameters).
        for name in chosen:
            for fallback in _FALLBACKS:
                candidate = self._fill(chosen | {name: fallback})
                if self._resolves_here(candidate):
                    return candidate
        for fallback in _FALLBACKS:
            candidate = self._fill(dict.fromkeys(chosen, fallback))
            if self._resolves_here(candidate):
                return candidate
        raise AssertionError(f"cannot build a path that resolves to {self}: tried {path}")

    def _fill(self, chosen: dict[str, str]) -> str:
        parts = []
        for pattern in self.chain:
            text = str(pattern.pattern)
            if isinstance(pattern.pattern, RoutePattern):
                text = _ROUTE_PARAM.sub(lambda m: chosen[m["name"]], text)
            else:
                text = _REGEX_GROUP.sub(lambda m: _regex_value(m["body"], chosen[m["name"]]), text)
                text = text.removeprefix("^").removesuffix("$").replace("\\", "")
            parts.append(text)
        return "/" + "".join(parts)

    def _resolves_here(self, path: str) -> bool:
        try:
            match = resolve(path, urlconf="config.urls")
        except Resolver404:
            return False
        return match.route == self.route and match.func is self.callback

    def resolve(self, path: str) -> ResolverMatch:
        return resolve(path, urlconf="config.urls")


def _regex_value(body: str, value: str) -> str:
    # An alternation of literals ("tenants|common") accepts only its own words.
    alternatives = body.split("|")
    if all(re.fullmatch(r"[\w-]+", alt) for alt in alternatives):
        return value if value in alternatives else alternatives[0]
    return value


def _namespace_module(namespaces: tuple[str, ...]) -> Module | None:
    return next((MODULES[ns] for ns in namespaces if ns in MODULES), None)


def _walk(patterns: list[Any], chain: tuple[Any, ...], namespaces: tuple[str, ...]) -> Iterator[Route]:
    for entry in patterns:
        if isinstance(entry, URLResolver):
            inner = namespaces + ((entry.namespace,) if entry.namespace else ())
            yield from _walk(entry.url_patterns, (*chain, entry), inner)
        elif isinstance(entry, URLPattern):
            full = (*chain, entry)
            # Joined as Django joins ResolverMatch.route (an inner regex loses its leading "^").
            route = "".join(str(p.pattern).removeprefix("^") if i else str(p.pattern) for i, p in enumerate(full))
            name = ":".join((*namespaces, entry.name)) if entry.name else None
            yield Route(route=route, name=name, namespaces=namespaces, callback=entry.callback, chain=full)


def all_routes() -> list[Route]:
    routes = list(_walk(get_resolver("config.urls").url_patterns, (), ()))
    ids = [str(r) for r in routes]
    duplicates = {i for i in ids if ids.count(i) > 1}
    assert not duplicates, f"two routes share a pattern: {duplicates}"
    return routes


def browser_routes() -> list[Route]:
    return [r for r in all_routes() if not r.is_api]


def api_routes() -> list[Route]:
    return [r for r in all_routes() if r.is_api]


def module_routes() -> list[Route]:
    return [r for r in all_routes() if r.module() is not None]
