"""The staff API's settings routes: a manager reads and changes the tenant's settings.

A Router, like the queue and oversight routes; which role may call it is the resolver's
business (CONTRACT.md, Roles: managers only).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.api_gateway import Router
from aws_lambda_powertools.event_handler.openapi.params import Body, Header
from aws_lambda_powertools.event_handler.openapi.types import OpenAPIResponse

from rendezvous.api.http import documented, staff_of, tenant_of
from rendezvous.api.settings import SettingsOut, SettingsPatch, etag, version_of
from rendezvous.domain.staff import StaffMember
from rendezvous.runtime import get_runtime

if TYPE_CHECKING:  # built by the runtime on first use, with its imports
    from rendezvous.domain.tenant_settings import SettingsService, SettingsView

router = Router()  # type: ignore[no-untyped-call]  # Powertools' untyped __init__

IfMatch = Annotated[
    str | None,
    Header(
        alias="If-Match",
        max_length=40,
        description='the ETag of the settings the change was made on, like "3"',
    ),
]


def _with_etag(responses: dict[int, OpenAPIResponse]) -> dict[int, OpenAPIResponse]:
    responses[200]["headers"] = {
        "ETag": {
            "description": "the settings version, for If-Match",
            "schema": {"type": "string", "pattern": '^"[0-9]+"$'},
        }
    }
    return responses


def _manager() -> StaffMember:
    rt = get_runtime()
    return StaffMember(tenant_of(router, rt.settings.tenant_claim), staff_of(router))


def _settings() -> SettingsService:
    return get_runtime().settings_service()


def _answer(view: SettingsView) -> Response[str]:
    return Response(
        status_code=200,
        content_type="application/json",
        body=SettingsOut.of(view).model_dump_json(),
        headers={"ETag": etag(view.version)},
    )


@router.get("/v1/settings", responses=_with_etag(documented({200: SettingsOut}, 401, 403, 404)))
def read_settings() -> Response[str]:
    return _answer(_settings().view(_manager().tenant_id))


@router.patch(
    "/v1/settings",
    responses=_with_etag(
        documented({200: SettingsOut}, 400, 401, 403, 404, 412, 413, 415, 422, 428)
    ),
)
def change_settings(
    body: Annotated[SettingsPatch, Body()], if_match: IfMatch = None
) -> Response[str]:
    manager = _manager()
    view = _settings().change(manager, body.as_merge_patch(), version_of(if_match))
    return _answer(view)
