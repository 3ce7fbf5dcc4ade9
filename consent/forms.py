"""Forms of the consent page: they parse input only; the services decide and validate."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib.auth import get_user_model
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from consent import selectors
from consent.models import GivenHow, InformationCategory, PurposeCode
from coordination.models import Case


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(format="%Y-%m-%d", **kwargs)


class WitnessField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        return str(obj.get_full_name() or obj.get_username())


class ConsentForm(forms.Form):
    agencies = forms.ModelMultipleChoiceField(
        label=_("Myndigheter som får ta del"),
        queryset=selectors.recipient_agencies(),
        widget=forms.CheckboxSelectMultiple,
        required=False,
    )
    forums = forms.ModelMultipleChoiceField(
        label=_("Samverkansforum som får ta del"),
        queryset=selectors.recipient_forums(),
        widget=forms.CheckboxSelectMultiple,
        required=False,
    )
    categories = forms.MultipleChoiceField(
        label=_("Uppgifter som samtycket gäller"),
        choices=InformationCategory.choices,
        widget=forms.CheckboxSelectMultiple,
    )
    purpose_code = forms.ChoiceField(label=_("Ändamål"), choices=PurposeCode.choices)
    purpose = forms.CharField(
        label=_("Ändamålet med egna ord"),
        widget=forms.Textarea(attrs={"rows": 3}),
        required=False,
        max_length=4000,
        help_text=_("Krävs när ändamålet är ”annat”."),
    )
    given_how = forms.ChoiceField(
        label=_("Samtycket lämnades"), choices=GivenHow.choices, widget=forms.RadioSelect
    )
    witnessed_by = WitnessField(
        label=_("Bevittnat av"),
        queryset=get_user_model().objects.none(),
        required=False,
        help_text=_("Krävs för ett muntligt samtycke."),
    )
    document_reference = forms.CharField(
        label=_("Dokumentreferens"),
        required=False,
        max_length=100,
        help_text=_("T.ex. diarienummer för ett skriftligt samtycke."),
    )
    valid_from = forms.DateField(label=_("Gäller från"), widget=DateInput())
    valid_to = forms.DateField(label=_("Gäller till och med"), widget=DateInput())

    def __init__(self, *args: Any, case: Case, user: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["witnessed_by"].queryset = selectors.witness_candidates(user=user, case=case)  # type: ignore[attr-defined]
        self.fields["valid_from"].initial = timezone.localdate()


class ConsentExtendForm(forms.Form):
    valid_to = forms.DateField(label=_("Nytt slutdatum"), widget=DateInput())
    given_how = forms.ChoiceField(
        label=_("Förlängningen lämnades"), choices=GivenHow.choices, widget=forms.RadioSelect
    )
    witnessed_by = WitnessField(
        label=_("Bevittnat av"),
        queryset=get_user_model().objects.none(),
        required=False,
        help_text=_("Krävs för en muntlig förlängning."),
    )

    def __init__(self, *args: Any, case: Case, user: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["witnessed_by"].queryset = selectors.witness_candidates(user=user, case=case)  # type: ignore[attr-defined]


class ConsentRevokeForm(forms.Form):
    reason = forms.CharField(
        label=_("Skäl till återkallelsen"),
        widget=forms.Textarea(attrs={"rows": 3}),
        max_length=4000,
    )
