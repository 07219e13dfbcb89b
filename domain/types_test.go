package domain

import "testing"

// date parses s, with "" giving the unknown date, for compact tables.
func date(s string) PartialDate {
	if s == "" {
		return PartialDate{}
	}
	return MustParsePartialDate(s)
}

func TestRoleHeldOn(t *testing.T) {
	tests := []struct {
		from, to string // role bounds; "" is unknown
		on       string
		want     bool
	}{
		{"2025-03", "2025-06", "2025-03-01", true},
		{"2025-03", "2025-06", "2025-06-30", true},
		{"2025-03", "2025-06", "2025-02-28", false},
		{"2025-03", "2025-06", "2025-07-01", false},
		{"2025-03", "2025-06", "2025", true},
		{"2025-03", "2025-06", "2025-02-20/2025-03-01", true},
		{"2025-03", "2025-06", "2025-02-20/2025-02-28", false},
		{"2025-03-15", "2025-03-15", "2025-03", true},
		{"2025-03-15", "2025-03-15", "2025-03-16", false},
		// An unknown bound is open on its side.
		{"", "2025-06", "0001-01-01", true},
		{"", "2025-06", "2025-07-01", false},
		{"2025-03", "", "9999-12-31", true},
		{"2025-03", "", "2025-02-28", false},
		{"", "", "2025-12-02", true},
		// Nothing is known to be held at an unknown time.
		{"", "", "", false},
		{"2025-03", "2025-06", "", false},
	}
	for _, tt := range tests {
		r := Role{Title: "envoy", From: date(tt.from), To: date(tt.to)}
		if got := r.HeldOn(date(tt.on)); got != tt.want {
			t.Errorf("Role{From: %q, To: %q}.HeldOn(%q) = %t, want %t", tt.from, tt.to, tt.on, got, tt.want)
		}
	}
}

func TestSpeakerRoleOn(t *testing.T) {
	s := &Speaker{Roles: []Role{
		{Title: "member of parliament"}, // bounds unknown
		{Title: "deputy minister", From: date("2000"), To: date("2008-04")},
		{Title: "spokesman", From: date("2008-05"), To: date("2012-05-06")},
		{Title: "press secretary", From: date("2012-05-07")}, // still held
		{Title: "acting envoy", From: date("2025-11-24/2025-11-30"), To: date("2025-12")},
	}}
	tests := []struct {
		on   string
		want string // title; "" for no role
	}{
		{"", ""},
		{"1990", "member of parliament"},
		{"2004-06-01", "deputy minister"},
		{"2008-05-01", "spokesman"},
		// The month overlaps both the deputy and spokesman roles; the one
		// that started later describes the speaker better.
		{"2008", "spokesman"},
		{"2012-05-07", "press secretary"},
		{"2025-11-20", "press secretary"},
		{"2025-11-27", "acting envoy"},
		{"2025-12-31", "acting envoy"},
		{"2026-01-01", "press secretary"},
	}
	for _, tt := range tests {
		got := s.RoleOn(date(tt.on))
		switch {
		case tt.want == "" && got != nil:
			t.Errorf("RoleOn(%q) = %q, want none", tt.on, got.Title)
		case tt.want != "" && got == nil:
			t.Errorf("RoleOn(%q) = none, want %q", tt.on, tt.want)
		case got != nil && got.Title != tt.want:
			t.Errorf("RoleOn(%q) = %q, want %q", tt.on, got.Title, tt.want)
		}
	}

	// RoleOn points into the speaker so callers can read OrgID and bounds
	// without copying.
	if r := s.RoleOn(date("2025-11-27")); r != &s.Roles[4] {
		t.Errorf("RoleOn returned %p, want &s.Roles[4] (%p)", r, &s.Roles[4])
	}
	if r := (&Speaker{}).RoleOn(date("2025")); r != nil {
		t.Errorf("RoleOn of a speaker without roles = %+v, want nil", r)
	}
}

func TestPositionShift(t *testing.T) {
	tests := []struct {
		name string
		p    Position
		want bool
	}{
		{"first position", Position{Stance: StanceSupports}, false},
		{"same stance", Position{Stance: StanceSupports, PreviousID: 3, PreviousStance: StanceSupports}, false},
		{"changed stance", Position{Stance: StanceMixed, PreviousID: 3, PreviousStance: StanceSupports}, true},
	}
	for _, tt := range tests {
		if got := tt.p.Shift(); got != tt.want {
			t.Errorf("%s: Shift() = %t, want %t", tt.name, got, tt.want)
		}
	}
}

func TestEnumsValid(t *testing.T) {
	tests := []struct {
		name  string
		valid func() bool
		want  bool
	}{
		{"PERSON", SpeakerPerson.Valid, true},
		{"ORGANIZATION", SpeakerOrganization.Valid, true},
		{"COUNTRY", SpeakerCountry.Valid, true},
		{"speaker kind person", SpeakerKind("person").Valid, false},
		{"speaker kind empty", SpeakerKind("").Valid, false},
		{"QUOTE", StatementQuote.Valid, true},
		{"PARAPHRASE", StatementParaphrase.Valid, true},
		{"statement kind quote", StatementKind("quote").Valid, false},
		{"statement kind empty", StatementKind("").Valid, false},
		{"SUPPORTS", StanceSupports.Valid, true},
		{"OPPOSES", StanceOpposes.Valid, true},
		{"NEUTRAL", StanceNeutral.Valid, true},
		{"MIXED", StanceMixed.Valid, true},
		{"stance SUPPORT", Stance("SUPPORT").Valid, false},
		{"stance empty", Stance("").Valid, false},
	}
	for _, tt := range tests {
		if got := tt.valid(); got != tt.want {
			t.Errorf("%s: Valid() = %t, want %t", tt.name, got, tt.want)
		}
	}
}
