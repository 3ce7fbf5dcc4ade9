"""Forms of the auditor's pages: they parse input; the selectors and services decide."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from audit.models import Verdict
from audit.queries import TrailFilter


class DateInput(forms.DateInput):
    input_type = "date"


class TrailFilterForm(forms.Form):
    case = forms.CharField(label=_("Ärende (referens)"), required=False, max_length=40)
    agency = forms.CharField(label=_("Myndighet"), required=False, max_length=200)
    person = forms.CharField(
        label=_("Person (användarnamn eller mottagare)"), required=False, max_length=150
    )
    basis = forms.CharField(label=_("Rättslig grund (kod)"), required=False, max_length=60)
    action = forms.CharField(label=_("Händelse (t.ex. case.viewed)"), required=False, max_length=60)
    start = forms.DateField(label=_("Från och med"), required=False, widget=DateInput)
    end = forms.DateField(label=_("Till och med"), required=False, widget=DateInput)
    flagged = forms.BooleanField(
        label=_("Bara flaggade åtkomster (skyddade personuppgifter)"), required=False
    )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        start, end = data.get("start"), data.get("end")
        if start and end and start > end:
            raise forms.ValidationError(_("Periodens början ligger efter dess slut."))
        return data

    def to_filter(self) -> TrailFilter:
        data = self.cleaned_data
        return TrailFilter(
            case=data.get("case", ""),
            agency=data.get("agency", ""),
            person=data.get("person", ""),
            basis=data.get("basis", ""),
            action=data.get("action", ""),
            start=data.get("start"),
            end=data.get("end"),
            flagged=bool(data.get("flagged")),
        )


class ReviewStartForm(forms.Form):
    period_start = forms.DateField(label=_("Från och med"), widget=DateInput)
    period_end = forms.DateField(label=_("Till och med"), widget=DateInput)
    sample_size = forms.IntegerField(
        label=_("Antal slumpmässigt valda åtkomster"), min_value=0, max_value=500, initial=20
    )
    agency = forms.ChoiceField(label=_("Myndighet"), required=False)

    def __init__(self, *args: Any, agencies: list[tuple[str, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["agency"]
        assert isinstance(field, forms.ChoiceField)
        field.choices = agencies
        if len(agencies) <= 1:
            field.widget = forms.HiddenInput()


class ReviewMarkForm(forms.Form):
    verdict = forms.ChoiceField(
        label=_("Bedömning"), choices=Verdict.choices, widget=forms.RadioSelect
    )
    note = forms.CharField(
        label=_("Anteckning"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2}),
    )


class ReviewFinishForm(forms.Form):
    conclusion = forms.CharField(
        label=_("Sammanfattning av loggkontrollen"),
        required=False,
        max_length=4000,
        widget=forms.Textarea(attrs={"rows": 4}),
    )


class RegisterExtractForm(forms.Form):
    personnummer = forms.CharField(
        label=_("Personnummer eller samordningsnummer"),
        max_length=13,
        widget=forms.TextInput(attrs={"autocomplete": "off", "inputmode": "numeric"}),
    )
