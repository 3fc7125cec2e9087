"""Stable error codes of the video app (the API's `code`; the console shows the Chinese)."""

from __future__ import annotations

from zhucan.core.errors import DomainError, coded_error

_MESSAGES: dict[str, tuple[int, str, str]] = {
    # --- the registry ---
    "DEVICE_NAME_TAKEN": (409, "本助餐点已有名为“{name}”的视频设备", "the canteen already has a device named {name}"),
    "DEVICE_ADDRESS": (400, "接入地址应以 {schemes} 开头", "the address must start with {schemes}"),
    "DEVICE_CREDENTIALS": (400, "该接入方式须填写{what}", "{what} is required for this access mode"),
    "DEVICE_REMOTE_ID": (400, "国标接入须填写设备的20位国标编码", "a GB28181 device needs its 20-digit code"),
    "CHANNEL_NAME_TAKEN": (409, "该设备已有名为“{name}”的通道", "the device already has a channel named {name}"),
    "CHANNEL_DINING_PUBLIC": (400, "就餐区画面拍到老人，不能设为公开展示",
                              "a dining-area channel shows elders and may not be public"),
    "CHANNEL_REMOTE_ID": (400, "请填写通道编码或路径", "the channel's code or path is required"),
    # --- AI-box events (API v1) ---
    "VIDEO_CHANNEL_UNKNOWN": (404, "本助餐点没有编号为{channel_id}的视频通道",
                              "no video channel {channel_id} at this canteen"),
    "VIDEO_SNAPSHOT_INVALID": (400, "snapshot_b64 须为 base64 编码的 JPEG 或 PNG 图片",
                               "snapshot_b64 must be a base64 JPEG or PNG image"),
    "VIDEO_SNAPSHOT_TOO_LARGE": (413, "抓拍图片超过{limit}KB", "the snapshot is larger than {limit} KB"),
    "VIDEO_EVENT_CONFLICT": (409, "事件编号{event_id}已用于另一条不同的事件",
                             "event id {event_id} was already used for a different event"),
    "VIDEO_EVENT_TIME": (400, "事件时间不能晚于当前时间", "the event cannot be in the future"),
}


def video_error(code: str, *, field: str | None = None, **params) -> DomainError:
    return coded_error(_MESSAGES, code, field=field, **params)
