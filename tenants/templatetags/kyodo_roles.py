from django import template

from tenants.models import Role

register = template.Library()


@register.filter
def role_labels(value: str) -> str:
    """'clerk,it_admin' (as stored in an audit row) -> '事務職員、情報システム担当'."""
    labels = {choice.value: str(choice.label) for choice in Role}
    return "、".join(labels.get(code, code) for code in value.split(",") if code)
