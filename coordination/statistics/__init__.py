"""Statistics for coordinators: counts per municipality and for the county, protected so
that no published figure reveals a count under five (see ``suppression``)."""
