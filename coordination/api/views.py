"""REST API for cases: one view per operation, thin, every read through the selectors."""

from __future__ import annotations

import uuid

from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from coordination import selectors, services
from coordination.models import Case


class CaseListApi(APIView):
    class OutputSerializer(serializers.Serializer):
        id = serializers.UUIDField()
        reference = serializers.CharField()
        category = serializers.CharField()
        owning_unit = serializers.CharField(source="owning_unit.name")
        protected_identity = serializers.BooleanField()
        erased = serializers.SerializerMethodField()

        def get_erased(self, case: Case) -> bool:
            return case.erased_at is not None

    @extend_schema(responses=OutputSerializer(many=True), operation_id="cases_list")
    def get(self, request: Request) -> Response:
        cases = selectors.case_list(user=request.user)
        return Response(self.OutputSerializer(cases, many=True).data)


class CaseDetailApi(APIView):
    class OutputSerializer(serializers.Serializer):
        id = serializers.UUIDField(source="case.id")
        reference = serializers.CharField(source="case.reference")
        level = serializers.CharField(source="decision.level")
        basis = serializers.CharField(source="decision.basis")
        erased = serializers.BooleanField()
        identity = serializers.DictField()

    @extend_schema(responses=OutputSerializer, operation_id="cases_retrieve")
    def get(self, request: Request, case_id: uuid.UUID) -> Response:
        view = selectors.case_detail(user=request.user, case_id=case_id)
        return Response(self.OutputSerializer(view).data)


class IncidentCreateApi(APIView):
    class InputSerializer(serializers.Serializer):
        kind = serializers.CharField()
        occurred_at = serializers.DateTimeField()
        description = serializers.CharField(required=False, allow_blank=True, max_length=4000)

    class OutputSerializer(serializers.Serializer):
        id = serializers.UUIDField()
        kind = serializers.CharField()
        occurred_at = serializers.DateTimeField()

    @extend_schema(
        request=InputSerializer, responses={201: OutputSerializer}, operation_id="incidents_create"
    )
    def post(self, request: Request, case_id: uuid.UUID) -> Response:
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        case = selectors.case_get(user=request.user, case_id=case_id)
        incident = services.incident_register(actor=request.user, case=case, **data.validated_data)
        return Response(self.OutputSerializer(incident).data, status=201)
