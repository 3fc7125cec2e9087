"""Form fields over the jurisdiction tree, shared by every registry's forms."""

from __future__ import annotations

from django import forms

from zhucan.regions.models import Region


class RegionChoice(forms.ModelChoiceField):
    """A region shown with its parent (北山街道 · 保俶社区), so that same-named places can be told apart."""

    def label_from_instance(self, obj: Region) -> str:
        parent = obj.parent.name if obj.parent_id else ""
        return f"{parent} · {obj.name}" if parent else obj.name
