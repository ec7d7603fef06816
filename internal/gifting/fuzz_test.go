package gifting

import (
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"
	"unicode"
	"unicode/utf8"
)

// FuzzParseISOWeek checks the week of GET /v1/leaderboards/creators?week=
// both ways: what parseISOWeek accepts is written exactly as isoWeek writes
// the week of its own Monday (so no two spellings name one week, and only
// weeks that exist pass: W53 only in the years that have one); and the
// week of any time from year 1 to 9999 parses back to itself.
func FuzzParseISOWeek(f *testing.F) {
	for _, s := range []string{
		"2026-W48", "2026-W09", "2026-W01", "2026-W53", "2020-W53", "2015-W53", "2026-W00", "2026-W54", "0000-W01", "0001-W01", "9999-W52",
		"2026-W+9", "+026-W09", "-026-W09", "2026-W 9", "2026-w09", "2026W09", "2026-W9", "2026-W009", "٢٠٢٦-W01", "2026-W٠٩", "current", "", "2026-W48\x00",
	} {
		f.Add(s, int64(1772366400))
	}
	f.Add("", int64(-62135596800)) // 0001-01-01
	f.Add("", int64(253402300799)) // 9999-12-31T23:59:59
	f.Fuzz(func(t *testing.T, s string, unix int64) {
		if w, ok := parseISOWeek(s); ok {
			if w != s || !weekSyntax(s) {
				t.Fatalf("parseISOWeek(%q) = %q", s, w)
			}
			var y, n int
			if _, err := fmt.Sscanf(s, "%04d-W%02d", &y, &n); err != nil {
				t.Fatal(err)
			}
			jan4 := time.Date(y, time.January, 4, 0, 0, 0, 0, time.UTC)
			monday := jan4.AddDate(0, 0, -((int(jan4.Weekday())+6)%7)+7*(n-1))
			if got := isoWeek(monday); got != s || monday.Weekday() != time.Monday {
				t.Fatalf("parseISOWeek(%q) accepted; its Monday %s is in %s", s, monday.Format(time.DateOnly), got)
			}
			if got := isoWeek(monday.AddDate(0, 0, 6)); got != s {
				t.Fatalf("%q: its Sunday is in %s", s, got)
			}
		}
		const lo, hi = -62135596800 + 7*86400, 253402300799 - 7*86400 // weeks of years 1 to 9999
		at := time.Unix(lo+((unix%(hi-lo))+(hi-lo))%(hi-lo), 0).UTC()
		w := isoWeek(at)
		if got, ok := parseISOWeek(w); !ok || got != w {
			t.Fatalf("the week of %s is %q; parseISOWeek says %q, %v", at, w, got, ok)
		}
	})
}

// weekSyntax reports whether s is "YYYY-Www" in ASCII digits.
func weekSyntax(s string) bool {
	if len(s) != 8 || s[4:6] != "-W" {
		return false
	}
	for _, i := range []int{0, 1, 2, 3, 6, 7} {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// FuzzCheckDisplayName checks the names every profile, payout holder and
// stream shows: an accepted name is valid UTF-8 of 1 to 64 characters, not
// blank, with no control, bidirectional or other invisible formatting
// character (no name can pose as another on screen); a refused one is a
// KindInvalid *Error naming display_name.
func FuzzCheckDisplayName(f *testing.F) {
	for _, s := range []string{
		"Ava Sings", "Luca Cooks", "李小龍", "Zoë 👩‍🎤", "   ", "", "a\u202eb", "a\u2066b", "a\u200bb", "a\u200db", "a\u061cb", "a\ufeffb", "a\u00adb",
		"a\x00b", "a\nb", "a\u0085b", "\xff", "\xed\xa0\x80", "\ufffd", strings.Repeat("x", 64), strings.Repeat("x", 65), strings.Repeat("é", 64),
		"=HYPERLINK(\"x\")", "admin\u2028", "\U000e0041", "a\u180eb",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, name string) {
		err := CheckDisplayName(name)
		if err != nil {
			var ge *Error
			if !errors.As(err, &ge) || ge.Kind != KindInvalid || ge.Details["field"] != "display_name" {
				t.Fatalf("CheckDisplayName(%q): %v", name, err)
			}
			return
		}
		if !utf8.ValidString(name) || strings.TrimSpace(name) == "" || utf8.RuneCountInString(name) > 64 {
			t.Fatalf("CheckDisplayName(%q) accepted it", name)
		}
		for _, r := range name {
			if unicode.IsControl(r) || unicode.Is(unicode.Cf, r) || unicode.Is(unicode.Bidi_Control, r) || r == utf8.RuneError {
				t.Fatalf("CheckDisplayName(%q) accepted U+%04X", name, r)
			}
		}
	})
}

// FuzzCheckID checks the ids the platform chooses (users, streams, combos):
// accepted ids are 1 to 128 ASCII letters, digits, '.', '_', '@' or '-'
// (safe in a URL path and a ledger account name); refusals are KindInvalid
// and name the field.
func FuzzCheckID(f *testing.F) {
	for _, s := range []string{"v1", "user@example.com", "a.b_c-d", "", ".", "..", "a b", "a/b", "a:b", "a\x00", "é", "١٢٣", strings.Repeat("x", 128), strings.Repeat("x", 129), "a\n", "ａ"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, id string) {
		err := CheckID("user_id", id)
		if err != nil {
			var ge *Error
			if !errors.As(err, &ge) || ge.Kind != KindInvalid || ge.Details["field"] != "user_id" {
				t.Fatalf("CheckID(%q): %v", id, err)
			}
			return
		}
		if len(id) < 1 || len(id) > 128 || strings.ContainsFunc(id, func(r rune) bool {
			return !(r < utf8.RuneSelf && (unicode.IsLetter(r) || unicode.IsDigit(r) || strings.ContainsRune("._@-", r)))
		}) {
			t.Fatalf("CheckID(%q) accepted it", id)
		}
	})
}
