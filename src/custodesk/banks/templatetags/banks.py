from __future__ import annotations

from typing import Any

from django import template

from custodesk.banks import picker

register = template.Library()


@register.inclusion_tag("banks/_branch_picker.html", takes_context=True)
def branch_picker(context: Any, field: str = "branch_code", value: str = "") -> dict[str, Any]:
    """The branch picker inside a form: ``{% branch_picker "branch_code" value=... %}``;
    the filters of a re-displayed form (bound data) are kept."""
    request = context.get("request")
    data = request.POST if request is not None and request.method == "POST" else {}
    name = picker.field_name(field)
    return picker.context(name, data, selected=value or "")
