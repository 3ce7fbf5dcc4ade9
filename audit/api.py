"""REST API for auditors (``/api/v1/audit/``): one view per operation, thin, every read
through ``audit.selectors`` and every change through ``audit.services``."""

from __future__ import annotations

import uuid
from typing import Any

from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from audit import describe, selectors, services, signing
from audit.models import AccessReview, AuditEvent, ReviewItem
from audit.queries import TrailFilter
from audit.services.trail import checkpoint_dict, entry_dict
from coordination.errors import NotFound


class AuditFilterSerializer(serializers.Serializer):
    case = serializers.CharField(required=False, allow_blank=True, max_length=40)
    agency = serializers.CharField(required=False, allow_blank=True, max_length=200)
    person = serializers.CharField(required=False, allow_blank=True, max_length=150)
    basis = serializers.CharField(required=False, allow_blank=True, max_length=60)
    action = serializers.CharField(required=False, allow_blank=True, max_length=60)
    start = serializers.DateField(required=False)
    end = serializers.DateField(required=False)
    flagged = serializers.BooleanField(required=False, default=False)

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        if attrs.get("start") and attrs.get("end") and attrs["start"] > attrs["end"]:
            raise serializers.ValidationError("Periodens början ligger efter dess slut.")
        return attrs


class AuditEntrySerializer(serializers.Serializer):
    """An entry as hashed and exported (``audit.services.entry_dict``), with a description."""

    seq = serializers.IntegerField()
    at = serializers.CharField()
    actor = serializers.CharField()
    actor_agency = serializers.CharField()
    actor_unit = serializers.CharField()
    action = serializers.CharField()
    description = serializers.CharField()
    case_id = serializers.CharField()
    case_ref = serializers.CharField()
    legal_basis = serializers.CharField()
    recipients = serializers.ListField(child=serializers.CharField())
    request_id = serializers.CharField()
    detail = serializers.DictField()
    prev_hash = serializers.CharField()
    hash = serializers.CharField()

    def get_fields(self) -> dict[str, serializers.Field]:
        # "fields" names a serializer's own attribute, so this one is added here.
        return {**super().get_fields(), "fields": _field_names()}


def _field_names() -> serializers.ListField:
    return serializers.ListField(child=serializers.CharField())


class AuditTrailListSerializer(serializers.Serializer):
    total = serializers.IntegerField()
    truncated = serializers.BooleanField()
    entries = AuditEntrySerializer(many=True)


def _entry(event: AuditEvent) -> dict[str, Any]:
    return {**entry_dict(event), "description": describe.action_label(event.action)}


class _TrailListApi(APIView):
    view_name = ""

    def _list(self, request: Request) -> Response:
        params = AuditFilterSerializer(data=request.query_params)
        params.is_valid(raise_exception=True)
        filters = TrailFilter(**params.validated_data)
        select = (
            selectors.disclosure_list if self.view_name == "disclosures" else selectors.access_list
        )
        listing = select(user=request.user, filters=filters, output="api")
        body = {
            "total": listing.total,
            "truncated": listing.truncated,
            "entries": [_entry(e) for e in listing.rows],
        }
        return Response(AuditTrailListSerializer(body).data)


class DisclosureListApi(_TrailListApi):
    view_name = "disclosures"

    @extend_schema(
        parameters=[AuditFilterSerializer],
        responses=AuditTrailListSerializer,
        operation_id="audit_disclosures_list",
    )
    def get(self, request: Request) -> Response:
        return self._list(request)


class AccessListApi(_TrailListApi):
    view_name = "accesses"

    @extend_schema(
        parameters=[AuditFilterSerializer],
        responses=AuditTrailListSerializer,
        operation_id="audit_accesses_list",
    )
    def get(self, request: Request) -> Response:
        return self._list(request)


class RegisterExtractInputSerializer(serializers.Serializer):
    personnummer = serializers.CharField(max_length=13)


class RegisterExtractLineSerializer(serializers.Serializer):
    at = serializers.DateTimeField()
    who = serializers.CharField()
    unit = serializers.CharField()
    agency = serializers.CharField()
    what = serializers.CharField()
    case_ref = serializers.CharField()
    level = serializers.CharField()
    basis = serializers.CharField()
    recipients = serializers.ListField(child=serializers.CharField())

    def get_fields(self) -> dict[str, serializers.Field]:
        return {**super().get_fields(), "fields": _field_names()}


class RegisterExtractSerializer(serializers.Serializer):
    cases = serializers.SerializerMethodField()
    lines = RegisterExtractLineSerializer(many=True)
    made_at = serializers.DateTimeField()

    def get_cases(self, extract: selectors.RegisterExtract) -> list[str]:
        return [c.reference for c in extract.cases]


class RegisterExtractApi(APIView):
    @extend_schema(
        request=RegisterExtractInputSerializer,
        responses=RegisterExtractSerializer,
        operation_id="audit_register_extract",
    )
    def post(self, request: Request) -> Response:
        data = RegisterExtractInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        extract = selectors.register_extract(
            user=request.user, identity_number=data.validated_data["personnummer"]
        )
        return Response(RegisterExtractSerializer(extract).data)


class AccessReviewItemSerializer(serializers.Serializer):
    position = serializers.IntegerField()
    seq = serializers.IntegerField(source="event.seq")
    at = serializers.DateTimeField(source="event.at")
    actor = serializers.CharField(source="event.actor")
    action = serializers.CharField(source="event.action")
    case_ref = serializers.CharField(source="event.case_ref")
    reasons = serializers.ListField(child=serializers.CharField())
    reason_detail = serializers.DictField()
    verdict = serializers.CharField()
    note = serializers.CharField()


class AccessReviewSerializer(serializers.Serializer):
    id = serializers.UUIDField()
    agency = serializers.CharField(source="agency.name")
    period_start = serializers.DateField()
    period_end = serializers.DateField()
    sample_size = serializers.IntegerField()
    accesses_in_period = serializers.IntegerField()
    rule_counts = serializers.DictField()
    status = serializers.CharField()
    started_at = serializers.DateTimeField()
    finished_at = serializers.DateTimeField(allow_null=True)
    conclusion = serializers.CharField()
    digest = serializers.CharField()


class AccessReviewDetailSerializer(AccessReviewSerializer):
    items = serializers.SerializerMethodField()

    def get_items(self, review: AccessReview) -> list[dict[str, Any]]:
        return list(AccessReviewItemSerializer(selectors.review_items(review), many=True).data)


class ReviewListApi(APIView):
    @extend_schema(responses=AccessReviewSerializer(many=True), operation_id="audit_reviews_list")
    def get(self, request: Request) -> Response:
        reviews = selectors.review_list(user=request.user)
        return Response(AccessReviewSerializer(reviews, many=True).data)


class AccessReviewStartInputSerializer(serializers.Serializer):
    period_start = serializers.DateField()
    period_end = serializers.DateField()
    sample_size = serializers.IntegerField(min_value=0, max_value=500)
    agency = serializers.UUIDField(required=False)


class ReviewStartApi(APIView):
    @extend_schema(
        request=AccessReviewStartInputSerializer,
        responses={201: AccessReviewDetailSerializer},
        operation_id="audit_reviews_start",
    )
    def post(self, request: Request) -> Response:
        data = AccessReviewStartInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        agency_id = data.validated_data.pop("agency", None)
        agency = None
        if agency_id is not None:
            agency = next(
                (a for a in selectors.audited_agencies(user=request.user) if a.pk == agency_id),
                None,
            )
            if agency is None:
                raise NotFound()
        review = services.access_review_start(
            actor=request.user, agency=agency, **data.validated_data
        )
        return Response(AccessReviewDetailSerializer(review).data, status=201)


class ReviewDetailApi(APIView):
    @extend_schema(responses=AccessReviewDetailSerializer, operation_id="audit_reviews_retrieve")
    def get(self, request: Request, review_id: uuid.UUID) -> Response:
        review = selectors.review_get(user=request.user, review_id=review_id)
        return Response(AccessReviewDetailSerializer(review).data)


class AccessReviewMarkInputSerializer(serializers.Serializer):
    verdict = serializers.CharField(max_length=10)
    note = serializers.CharField(required=False, allow_blank=True, max_length=2000)


class ReviewItemMarkApi(APIView):
    @extend_schema(
        request=AccessReviewMarkInputSerializer,
        responses=AccessReviewItemSerializer,
        operation_id="audit_review_items_mark",
    )
    def post(self, request: Request, review_id: uuid.UUID, position: int) -> Response:
        data = AccessReviewMarkInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        item: ReviewItem = selectors.review_item_get(
            user=request.user, review_id=review_id, position=position
        )
        item = services.review_item_mark(actor=request.user, item=item, **data.validated_data)
        return Response(AccessReviewItemSerializer(item).data)


class AccessReviewFinishInputSerializer(serializers.Serializer):
    conclusion = serializers.CharField(required=False, allow_blank=True, max_length=4000)


class ReviewFinishApi(APIView):
    @extend_schema(
        request=AccessReviewFinishInputSerializer,
        responses=AccessReviewDetailSerializer,
        operation_id="audit_reviews_finish",
    )
    def post(self, request: Request, review_id: uuid.UUID) -> Response:
        data = AccessReviewFinishInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        review = selectors.review_get(user=request.user, review_id=review_id)
        review = services.access_review_finish(
            actor=request.user, review=review, **data.validated_data
        )
        return Response(AccessReviewDetailSerializer(review).data)


class CheckpointLatestApi(APIView):
    @extend_schema(responses=dict, operation_id="audit_checkpoints_latest")
    def get(self, request: Request) -> Response:
        checkpoint = selectors.checkpoint_for_auditor(user=request.user)
        if checkpoint is None:
            raise NotFound()
        return Response(checkpoint_dict(checkpoint))


class PublicKeyApi(APIView):
    """The checkpoint key is public by design: anyone may fetch it to verify exports."""

    permission_classes = [AllowAny]

    @extend_schema(responses=dict, operation_id="audit_public_key")
    def get(self, request: Request) -> Response:
        return Response(signing.public_key_document())


class InclusionProofApi(APIView):
    @extend_schema(responses=dict, operation_id="audit_proofs_inclusion")
    def get(self, request: Request, seq: int) -> Response:
        return Response(selectors.entry_proof(user=request.user, seq=seq))


class ConsistencyQuerySerializer(serializers.Serializer):
    first = serializers.IntegerField(min_value=1)
    second = serializers.IntegerField(min_value=1, required=False)


class ConsistencyProofApi(APIView):
    @extend_schema(
        parameters=[
            OpenApiParameter("first", int, required=True),
            OpenApiParameter("second", int, required=False),
        ],
        responses=dict,
        operation_id="audit_proofs_consistency",
    )
    def get(self, request: Request) -> Response:
        query = ConsistencyQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        return Response(
            selectors.consistency_proof(
                user=request.user,
                first=query.validated_data["first"],
                second=query.validated_data.get("second"),
            )
        )
