from rest_framework import serializers


class MembershipOut(serializers.Serializer):
    municipality = serializers.CharField(source="municipality.name")
    schema = serializers.CharField(source="municipality.schema_name")
    role = serializers.CharField()
    role_label = serializers.CharField(source="get_role_display")
    section = serializers.CharField()
    valid_from = serializers.DateField()
    valid_to = serializers.DateField(allow_null=True)


class ModuleOut(serializers.Serializer):
    key = serializers.CharField()
    # The API field is called "label"; DRF fields also have a .label attribute, hence the ignore.
    label = serializers.CharField()  # type: ignore[assignment]


class MeOut(serializers.Serializer):
    username = serializers.CharField()
    full_name = serializers.CharField()
    municipality = serializers.CharField()
    roles = serializers.ListField(child=serializers.CharField())
    modules = ModuleOut(many=True)
    memberships = MembershipOut(many=True)
    two_factor_verified = serializers.BooleanField()
    auth = serializers.ChoiceField(choices=["session", "token"])


class TokenIn(serializers.Serializer):
    name = serializers.CharField(max_length=100)
    days = serializers.IntegerField(min_value=1, max_value=365, required=False)


class TokenOut(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    key_prefix = serializers.CharField()
    created_at = serializers.DateTimeField()
    expires_at = serializers.DateTimeField()
    last_used_at = serializers.DateTimeField(allow_null=True)
    revoked_at = serializers.DateTimeField(allow_null=True)


class TokenCreatedOut(TokenOut):
    token = serializers.CharField(help_text="Shown once; store it securely.")
