from zhucan.video.adapters.base import Adapter, AdapterError, ProbeResult, adapter_for

__all__ = ["Adapter", "AdapterError", "ProbeResult", "adapter_for"]
