package cashout

import (
	"math/big"
	"net/mail"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/glint-economy/glint/internal/gifting"
)

// Normalize checks a payout method and returns it in canonical form
// (trimmed, upper-case IBAN without spaces). Errors: KindInvalid naming the
// field. Nothing of the details is echoed in an error message.
func (m Method) Normalize() (Method, error) {
	out := Method{Kind: m.Kind}
	switch m.Kind {
	case MethodPayPal:
		email := strings.TrimSpace(m.PayPalEmail)
		a, err := mail.ParseAddress(email)
		if err != nil || a.Address != email || len(email) > 254 {
			return Method{}, gifting.InvalidField("paypal_email", "paypal_email is not a valid e-mail address")
		}
		out.PayPalEmail = email
		if m.IBAN != "" || m.AccountNumber != "" || m.RoutingNumber != "" {
			return Method{}, gifting.InvalidField("kind", "a paypal method takes only paypal_email")
		}
	case MethodBank:
		name := strings.TrimSpace(m.HolderName)
		if err := gifting.CheckDisplayName(name); err != nil {
			return Method{}, gifting.InvalidField("holder_name", "holder_name must be 1–64 printable characters")
		}
		out.HolderName = name
		switch {
		case m.IBAN != "" && (m.AccountNumber != "" || m.RoutingNumber != ""):
			return Method{}, gifting.InvalidField("iban", "give either iban or account_number with routing_number, not both")
		case m.IBAN != "":
			iban := strings.ToUpper(strings.ReplaceAll(m.IBAN, " ", ""))
			if !validIBAN(iban) {
				return Method{}, gifting.InvalidField("iban", "iban is not a valid IBAN (country code, check digits and length)")
			}
			out.IBAN = iban
		default:
			if !allDigits(m.AccountNumber) || len(m.AccountNumber) < 4 || len(m.AccountNumber) > 17 {
				return Method{}, gifting.InvalidField("account_number", "account_number must be 4–17 digits")
			}
			if !validABA(m.RoutingNumber) {
				return Method{}, gifting.InvalidField("routing_number", "routing_number must be a valid 9-digit ABA routing number")
			}
			out.AccountNumber, out.RoutingNumber = m.AccountNumber, m.RoutingNumber
		}
		if m.PayPalEmail != "" {
			return Method{}, gifting.InvalidField("kind", "a bank method does not take paypal_email")
		}
	default:
		return Method{}, gifting.InvalidField("kind", "kind must be \"paypal\" or \"bank\"")
	}
	return out, nil
}

// Masked writes the method for display: "PayPal j***@example.com",
// "Bank DE89 **** 3000", "Bank ****6789 (routing 021000021)".
func (m Method) Masked() string {
	switch m.Kind {
	case MethodPayPal:
		local, domain, _ := strings.Cut(m.PayPalEmail, "@")
		if local == "" {
			return "PayPal"
		}
		_, n := utf8.DecodeRuneInString(local) // the first character, not a byte of it
		return "PayPal " + local[:n] + "***@" + domain
	case MethodBank:
		if m.IBAN != "" && len(m.IBAN) > 8 {
			return "Bank " + m.IBAN[:4] + " **** " + m.IBAN[len(m.IBAN)-4:]
		}
		if n := len(m.AccountNumber); n >= 4 {
			return "Bank ****" + m.AccountNumber[n-4:] + " (routing " + m.RoutingNumber + ")"
		}
		return "Bank"
	}
	return m.Kind
}

// ibanLengths are the IBAN lengths of the registry's countries.
var ibanLengths = map[string]int{
	"AD": 24, "AE": 23, "AL": 28, "AT": 20, "AZ": 28, "BA": 20, "BE": 16, "BG": 22, "BH": 22, "BR": 29, "BY": 28,
	"CH": 21, "CR": 22, "CY": 28, "CZ": 24, "DE": 22, "DK": 18, "DO": 28, "EE": 20, "EG": 29, "ES": 24, "FI": 18,
	"FO": 18, "FR": 27, "GB": 22, "GE": 22, "GI": 23, "GL": 18, "GR": 27, "GT": 28, "HR": 21, "HU": 28, "IE": 22,
	"IL": 23, "IQ": 23, "IS": 26, "IT": 27, "JO": 30, "KW": 30, "KZ": 20, "LB": 28, "LC": 32, "LI": 21, "LT": 20,
	"LU": 20, "LV": 21, "MC": 27, "MD": 24, "ME": 22, "MK": 19, "MR": 27, "MT": 31, "MU": 30, "NL": 18, "NO": 15,
	"PK": 24, "PL": 28, "PS": 29, "PT": 25, "QA": 29, "RO": 24, "RS": 22, "SA": 24, "SC": 31, "SE": 24, "SI": 19,
	"SK": 24, "SM": 27, "ST": 25, "SV": 28, "TL": 23, "TN": 24, "TR": 26, "UA": 29, "VA": 22, "VG": 24, "XK": 20,
}

// validIBAN checks the country's length and the ISO 7064 mod-97 check digits.
func validIBAN(s string) bool {
	if len(s) < 5 || ibanLengths[s[:2]] != len(s) {
		return false
	}
	var digits strings.Builder
	for _, r := range s[4:] + s[:4] {
		switch {
		case r >= '0' && r <= '9':
			digits.WriteRune(r)
		case r >= 'A' && r <= 'Z':
			digits.WriteString(big.NewInt(int64(r - 'A' + 10)).String())
		default:
			return false
		}
	}
	n, ok := new(big.Int).SetString(digits.String(), 10)
	return ok && new(big.Int).Mod(n, big.NewInt(97)).Int64() == 1
}

// validABA checks a US routing number's length and checksum.
func validABA(s string) bool {
	if len(s) != 9 || !allDigits(s) {
		return false
	}
	w := []int{3, 7, 1, 3, 7, 1, 3, 7, 1}
	sum := 0
	for i, r := range s {
		sum += int(r-'0') * w[i]
	}
	return sum%10 == 0
}

func allDigits(s string) bool {
	if s == "" {
		return false
	}
	for _, r := range s {
		if r > unicode.MaxASCII || !unicode.IsDigit(r) {
			return false
		}
	}
	return true
}
