"""REST API for a case's consents: list, record, extend, revoke. Thin: one service each."""

from __future__ import annotations

import uuid
from typing import Any

from django.contrib.auth import get_user_model
from django.utils import timezone
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from consent import selectors, services
from consent.models import GivenHow, InformationCategory, PurposeCode
from consent.selectors import ConsentView
from coordination.models import Agency, Forum


class ConsentOutputSerializer(serializers.Serializer):
    id = serializers.UUIDField(source="consent.id")
    status = serializers.CharField()
    status_display = serializers.CharField()
    agencies = serializers.SerializerMethodField()
    forums = serializers.SerializerMethodField()
    categories = serializers.ListField(source="consent.categories", child=serializers.CharField())
    purpose_code = serializers.CharField(source="consent.purpose_code")
    purpose = serializers.CharField()
    given_how = serializers.CharField(source="consent.given_how")
    witnessed_by = serializers.SerializerMethodField()
    document_reference = serializers.CharField(source="consent.document_reference")
    valid_from = serializers.DateField(source="consent.valid_from")
    valid_to = serializers.DateField(source="consent.valid_to")
    recorded_at = serializers.DateTimeField(source="consent.recorded_at")
    revoked_at = serializers.DateTimeField(source="consent.revoked_at", allow_null=True)

    def get_agencies(self, view: ConsentView) -> list[str]:
        return sorted(str(a.id) for a in view.consent.recipient_agencies.all())

    def get_forums(self, view: ConsentView) -> list[str]:
        return sorted(str(f.id) for f in view.consent.recipient_forums.all())

    def get_witnessed_by(self, view: ConsentView) -> str:
        witness = view.consent.witnessed_by
        return str(witness.get_username()) if witness is not None else ""


def _one(case_id: uuid.UUID, consent_id: Any, user: Any) -> dict[str, Any]:
    _case, views = selectors.consent_list(user=user, case_id=case_id)
    view = next(v for v in views if v.consent.id == consent_id)
    return dict(ConsentOutputSerializer(view).data)


class ConsentListApi(APIView):
    """GET lists the case's consents; POST records a new one."""

    class InputSerializer(serializers.Serializer):
        agencies = serializers.PrimaryKeyRelatedField(
            queryset=Agency.objects.all(), many=True, required=False
        )
        forums = serializers.PrimaryKeyRelatedField(
            queryset=Forum.objects.all(), many=True, required=False
        )
        categories = serializers.ListField(
            child=serializers.ChoiceField(choices=InformationCategory.choices)
        )
        purpose_code = serializers.ChoiceField(choices=PurposeCode.choices)
        purpose = serializers.CharField(required=False, allow_blank=True, max_length=4000)
        given_how = serializers.ChoiceField(choices=GivenHow.choices)
        witnessed_by = serializers.SlugRelatedField(
            slug_field="username",
            queryset=get_user_model().objects.filter(is_active=True),
            required=False,
            allow_null=True,
        )
        document_reference = serializers.CharField(required=False, allow_blank=True, max_length=100)
        valid_from = serializers.DateField(required=False)
        valid_to = serializers.DateField()

    @extend_schema(responses=ConsentOutputSerializer(many=True), operation_id="consents_list")
    def get(self, request: Request, case_id: uuid.UUID) -> Response:
        _case, views = selectors.consent_list(user=request.user, case_id=case_id)
        return Response(ConsentOutputSerializer(views, many=True).data)

    @extend_schema(
        request=InputSerializer,
        responses={201: ConsentOutputSerializer},
        operation_id="consents_create",
    )
    def post(self, request: Request, case_id: uuid.UUID) -> Response:
        case = selectors.consent_case(user=request.user, case_id=case_id)
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        values = dict(data.validated_data)
        values.setdefault("valid_from", timezone.localdate())
        consent = services.consent_record(actor=request.user, case=case, **values)
        return Response(_one(case.id, consent.id, request.user), status=201)


class ConsentExtendApi(APIView):
    class InputSerializer(serializers.Serializer):
        valid_to = serializers.DateField()
        given_how = serializers.ChoiceField(choices=GivenHow.choices)
        witnessed_by = serializers.SlugRelatedField(
            slug_field="username",
            queryset=get_user_model().objects.filter(is_active=True),
            required=False,
            allow_null=True,
        )

    @extend_schema(
        request=InputSerializer, responses=ConsentOutputSerializer, operation_id="consents_extend"
    )
    def post(self, request: Request, case_id: uuid.UUID, consent_id: uuid.UUID) -> Response:
        consent = selectors.consent_get(user=request.user, case_id=case_id, consent_id=consent_id)
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        services.consent_extend(actor=request.user, consent=consent, **data.validated_data)
        return Response(_one(case_id, consent.id, request.user))


class ConsentRevokeApi(APIView):
    class InputSerializer(serializers.Serializer):
        reason = serializers.CharField(max_length=4000)

    @extend_schema(
        request=InputSerializer, responses=ConsentOutputSerializer, operation_id="consents_revoke"
    )
    def post(self, request: Request, case_id: uuid.UUID, consent_id: uuid.UUID) -> Response:
        consent = selectors.consent_get(user=request.user, case_id=case_id, consent_id=consent_id)
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        services.consent_revoke(
            actor=request.user, consent=consent, reason=data.validated_data["reason"]
        )
        return Response(_one(case_id, consent.id, request.user))
