package cashout

import (
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/glint-economy/glint/internal/gifting"
)

// methodFields are the fields a refused payout method may name.
var methodFields = []string{"kind", "paypal_email", "holder_name", "iban", "account_number", "routing_number"}

// secretLike matches what would be a payout detail in an error message: an
// e-mail address or a run of four digits.
var secretLike = regexp.MustCompile(`@|[0-9]{4}`)

// FuzzNormalizeMethod checks Normalize over any payout method: a refusal is
// a KindInvalid *gifting.Error naming one of the method's fields and
// echoing none of its details; what it accepts is in canonical form
// (normalizing it again changes nothing), of the kind asked, with a valid
// IBAN or ABA routing number; and its masked form is valid UTF-8 that does
// not give the whole account away.
func FuzzNormalizeMethod(f *testing.F) {
	for _, m := range []Method{
		{Kind: MethodPayPal, PayPalEmail: "jane@example.com"},
		{Kind: MethodPayPal, PayPalEmail: " jane@example.com "},
		{Kind: MethodPayPal, PayPalEmail: "Jane <jane@example.com>"},
		{Kind: MethodPayPal, PayPalEmail: "a@b.c\r\nBcc: x@y.z"},
		{Kind: MethodPayPal, PayPalEmail: "é@example.com"},
		{Kind: MethodPayPal, PayPalEmail: "\"a b\"@example.com"},
		{Kind: MethodPayPal, PayPalEmail: "jane@[127.0.0.1]"},
		{Kind: MethodPayPal, PayPalEmail: "jane\u202e@example.com"},
		{Kind: MethodPayPal, PayPalEmail: strings.Repeat("a", 250) + "@b.co"},
		{Kind: MethodBank, HolderName: "Jane Roe", IBAN: "DE89 3704 0044 0532 0130 00"},
		{Kind: MethodBank, HolderName: "Jane Roe", IBAN: "de89370400440532013000"},
		{Kind: MethodBank, HolderName: "Luca Rossi", IBAN: "IT60 X054 2811 1010 0000 0123 456"},
		{Kind: MethodBank, HolderName: "Jane Roe", IBAN: "DE89 3704 0044 0532 0130 01"},
		{Kind: MethodBank, HolderName: "Jane Roe", IBAN: "ſE89370400440532013000"},
		{Kind: MethodBank, HolderName: "Jane Roe", IBAN: "DE89\u00a03704\u00a00044\u00a00532\u00a00130\u00a000"},
		{Kind: MethodBank, HolderName: "Jane Roe", IBAN: "DE８９370400440532013000"},
		{Kind: MethodBank, HolderName: "Jane Roe", IBAN: "XX89370400440532013000"},
		{Kind: MethodBank, HolderName: "Jane Roe", AccountNumber: "000123456789", RoutingNumber: "011000015"},
		{Kind: MethodBank, HolderName: "Jane Roe", AccountNumber: "١٢٣٤٥٦", RoutingNumber: "011000015"},
		{Kind: MethodBank, HolderName: "Jane Roe", AccountNumber: "123456", RoutingNumber: "011000016"},
		{Kind: MethodBank, HolderName: "Jane Roe", AccountNumber: "-123456", RoutingNumber: "-11000015"},
		{Kind: MethodBank, HolderName: "Jane\u202eRoe", IBAN: "DE89370400440532013000"},
		{Kind: MethodBank, HolderName: "Jane\u200bRoe", IBAN: "DE89370400440532013000"},
		{Kind: MethodBank, HolderName: "   ", IBAN: "DE89370400440532013000"},
		{Kind: MethodBank, HolderName: "=HYPERLINK(\"x\")", IBAN: "DE89370400440532013000"},
		{Kind: MethodBank, HolderName: "Jane Roe", IBAN: "DE89370400440532013000", AccountNumber: "1234"},
		{Kind: MethodBank, HolderName: "Jane Roe", IBAN: "DE89370400440532013000", PayPalEmail: "jane@example.com"},
		{Kind: "PAYPAL", PayPalEmail: "jane@example.com"},
		{Kind: "crypto"},
		{},
	} {
		f.Add(m.Kind, m.PayPalEmail, m.HolderName, m.IBAN, m.AccountNumber, m.RoutingNumber)
	}
	f.Fuzz(func(t *testing.T, kind, email, holder, iban, account, routing string) {
		in := Method{Kind: kind, PayPalEmail: email, HolderName: holder, IBAN: iban, AccountNumber: account, RoutingNumber: routing}
		out, err := in.Normalize()
		if err != nil {
			var ge *gifting.Error
			if !errors.As(err, &ge) || ge.Kind != gifting.KindInvalid || !slices.Contains(methodFields, fmt.Sprint(ge.Details["field"])) {
				t.Fatalf("%+v: %v is not an invalid-field error naming a field of the method", in, err)
			}
			for _, v := range []string{email, holder, iban, account, routing} {
				if v = strings.TrimSpace(v); len(v) >= 8 && secretLike.MatchString(v) && strings.Contains(err.Error(), v) {
					t.Fatalf("%+v: the error %q echoes %q", in, err, v)
				}
			}
			return
		}
		if out.Kind != kind {
			t.Fatalf("%+v: kind %q", in, out.Kind)
		}
		again, err := out.Normalize()
		if err != nil || again != out {
			t.Fatalf("%+v normalized to %+v; again: %+v, %v", in, out, again, err)
		}
		switch {
		case out.Kind == MethodPayPal && (out.PayPalEmail == "" || out.HolderName != "" || out.IBAN != "" || out.AccountNumber != "" || out.RoutingNumber != ""):
			t.Fatalf("%+v: paypal method %+v", in, out)
		case out.Kind == MethodBank && (out.PayPalEmail != "" || (out.IBAN == "") == (out.AccountNumber == "")):
			t.Fatalf("%+v: bank method %+v", in, out)
		case out.IBAN != "" && !validIBAN(out.IBAN):
			t.Fatalf("%+v: IBAN %q", in, out.IBAN)
		case out.AccountNumber != "" && !validABA(out.RoutingNumber):
			t.Fatalf("%+v: routing number %q", in, out.RoutingNumber)
		}
		if out.IBAN != "" {
			// What a person types: lower case, in groups of four.
			typed := out
			typed.IBAN = strings.ToLower(formatIBAN(out.IBAN))
			if n, err := typed.Normalize(); err != nil || n != out {
				t.Fatalf("%q, formatted %q: %+v, %v", out.IBAN, typed.IBAN, n, err)
			}
		}
		masked := out.Masked()
		if !utf8.ValidString(masked) {
			t.Fatalf("%+v: masked %q is not valid UTF-8", out, masked)
		}
		for _, whole := range []string{out.IBAN, out.AccountNumber} {
			if len(whole) > 8 && strings.Contains(masked, whole) {
				t.Fatalf("%+v: masked %q shows %q whole", out, masked, whole)
			}
		}
		if local, _, _ := strings.Cut(out.PayPalEmail, "@"); utf8.RuneCountInString(local) > 1 && strings.Contains(masked, local+"@") {
			t.Fatalf("%+v: masked %q shows the mailbox", out, masked)
		}
	})
}

// formatIBAN writes an IBAN in groups of four, as printed on a bank card.
func formatIBAN(s string) string {
	var b strings.Builder
	for i, r := range s {
		if i > 0 && i%4 == 0 {
			b.WriteByte(' ')
		}
		b.WriteRune(r)
	}
	return b.String()
}

// mod97 is the ISO 7064 MOD 97-10 remainder of an IBAN's digits (letters as
// 10–35), computed digit by digit: another way than validIBAN's.
func mod97(s string) int {
	m := 0
	for _, r := range s {
		switch {
		case r >= '0' && r <= '9':
			m = (m*10 + int(r-'0')) % 97
		case r >= 'A' && r <= 'Z':
			m = (m*100 + int(r-'A'+10)) % 97
		}
	}
	return m
}

// FuzzIBAN builds a valid IBAN for any country of the registry and any
// account (check digits computed here, independently): Normalize accepts it
// however it is typed and masks it; and changing one of its characters for
// another of the same class (a digit for a digit, a letter for a letter),
// which MOD 97-10 always detects, makes it invalid.
func FuzzIBAN(f *testing.F) {
	f.Add(uint8(0), "370400440532013000", uint8(5), byte('7'))
	f.Add(uint8(20), "X0542811101000000123456", uint8(4), byte('Q'))
	f.Add(uint8(255), "", uint8(0), byte('0'))
	f.Add(uint8(7), "ZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZ", uint8(31), byte('A'))
	countries := make([]string, 0, len(ibanLengths))
	for c := range ibanLengths {
		countries = append(countries, c)
	}
	slices.Sort(countries)
	f.Fuzz(func(t *testing.T, ci uint8, account string, pos uint8, with byte) {
		country := countries[int(ci)%len(countries)]
		n := ibanLengths[country] - 4
		var bban strings.Builder
		for i := 0; bban.Len() < n; i++ {
			c := byte('0')
			if i < len(account) {
				c = account[i]
			}
			switch {
			case c >= 'a' && c <= 'z':
				c -= 'a' - 'A'
			case c >= 'A' && c <= 'Z', c >= '0' && c <= '9':
			default:
				c = '0' + c%10
			}
			bban.WriteByte(c)
		}
		check := 98 - mod97(bban.String()+country+"00")
		iban := fmt.Sprintf("%s%02d%s", country, check, bban.String())
		if mod97(iban[4:]+iban[:4]) != 1 {
			t.Fatalf("the test's check digits are wrong: %s", iban)
		}
		m := Method{Kind: MethodBank, HolderName: "Jane Roe", IBAN: strings.ToLower(formatIBAN(iban))}
		out, err := m.Normalize()
		if err != nil || out.IBAN != iban {
			t.Fatalf("%q: %+v, %v; want %s", m.IBAN, out, err, iban)
		}
		if got, want := out.Masked(), "Bank "+iban[:4]+" **** "+iban[len(iban)-4:]; got != want {
			t.Fatalf("masked %q, want %q", got, want)
		}
		// One character changed for another of its class.
		i := 2 + int(pos)%(len(iban)-2)
		old := iban[i]
		var c byte
		switch {
		case old >= '0' && old <= '9':
			c = '0' + with%10
		default:
			c = 'A' + with%26
		}
		if c == old {
			return
		}
		bad := iban[:i] + string(c) + iban[i+1:]
		if validIBAN(bad) {
			t.Fatalf("%s with %q at %d (%s) is accepted", iban, c, i, bad)
		}
	})
}
