"""Getting updates: getUpdates long polling and the webhook settings that exclude it."""

from __future__ import annotations

import asyncio
from typing import Any

from .errors import bad_request, conflict
from .params import Params
from .world import Webhook, World

MAX_LIMIT = 100


async def get_updates(world: World, params: Params) -> list[dict[str, Any]]:
    """Real long polling: answers as soon as an update is queued, else after timeout seconds."""
    if world.webhook.url:
        raise conflict(
            "can't use getUpdates method while webhook is active; "
            "use deleteWebhook to delete the webhook first"
        )
    queue = world.updates
    offset = params.integer("offset")
    if offset:
        queue.confirm(offset)
    limit = min(max(params.integer("limit", MAX_LIMIT) or MAX_LIMIT, 1), MAX_LIMIT)
    allowed = params.array("allowed_updates")
    if allowed is not None:
        queue.set_allowed([str(kind) for kind in allowed])
    ticket = queue.begin_poll()
    loop = asyncio.get_running_loop()
    deadline = loop.time() + max(params.number("timeout", 0.0), 0.0)
    while True:
        if not queue.is_current_poll(ticket):
            if not params.client_connected():
                return []  # an abandoned poll (client gone): nobody to tell about the conflict
            raise conflict(
                "terminated by other getUpdates request; "
                "make sure that only one bot instance is running"
            )
        updates = queue.peek(limit)
        remaining = deadline - loop.time()
        if updates or remaining <= 0 or queue.closed:
            return updates
        await queue.arrived.wait(remaining)


async def set_webhook(world: World, params: Params) -> bool:
    url = params.text("url", "") or ""
    if url and not url.lower().startswith("https://"):
        raise bad_request("bad webhook: An HTTPS URL must be provided for webhook")
    if params.flag("drop_pending_updates"):
        world.updates.clear()
    allowed = params.array("allowed_updates")
    world.webhook = Webhook(
        url=url,
        max_connections=params.integer("max_connections", 40) or 40,
        allowed_updates=[str(kind) for kind in allowed or []],
    )
    if allowed is not None:
        world.updates.set_allowed(world.webhook.allowed_updates)
    return True


async def delete_webhook(world: World, params: Params) -> bool:
    if params.flag("drop_pending_updates"):
        world.updates.clear()
    world.webhook = Webhook()
    return True


async def get_webhook_info(world: World, params: Params) -> dict[str, Any]:
    info: dict[str, Any] = {
        "url": world.webhook.url,
        "has_custom_certificate": False,
        "pending_update_count": len(world.updates),
    }
    if world.webhook.url:
        info["max_connections"] = world.webhook.max_connections
        if world.webhook.allowed_updates:
            info["allowed_updates"] = world.webhook.allowed_updates
    return info


async def close(world: World, params: Params) -> bool:
    return True


async def log_out(world: World, params: Params) -> bool:
    return True
