package money

import "strings"

// currencyScale is the ISO 4217 minor unit of each active currency glint
// knows. Currencies not listed here are rejected as unknown.
var currencyScale = map[string]int{
	"AED": 2, "ARS": 2, "AUD": 2, "BDT": 2, "BGN": 2, "BHD": 3, "BRL": 2,
	"CAD": 2, "CHF": 2, "CLP": 0, "CNY": 2, "COP": 2, "CZK": 2, "DKK": 2,
	"EGP": 2, "EUR": 2, "GBP": 2, "HKD": 2, "HUF": 2, "IDR": 2, "ILS": 2,
	"INR": 2, "ISK": 0, "JOD": 3, "JPY": 0, "KES": 2, "KRW": 0, "KWD": 3,
	"MAD": 2, "MXN": 2, "MYR": 2, "NGN": 2, "NOK": 2, "NZD": 2, "OMR": 3,
	"PEN": 2, "PHP": 2, "PKR": 2, "PLN": 2, "QAR": 2, "RON": 2, "RSD": 2,
	"SAR": 2, "SEK": 2, "SGD": 2, "THB": 2, "TND": 3, "TRY": 2, "TWD": 2,
	"UAH": 2, "USD": 2, "VND": 0, "ZAR": 2,
}

// countryCurrency maps ISO 3166-1 alpha-2 country codes to the currency a
// creator there is paid in.
var countryCurrency = map[string]string{
	"AE": "AED", "AR": "ARS", "AT": "EUR", "AU": "AUD", "BD": "BDT", "BE": "EUR",
	"BG": "BGN", "BH": "BHD", "BR": "BRL", "CA": "CAD", "CH": "CHF", "CL": "CLP",
	"CN": "CNY", "CO": "COP", "CY": "EUR", "CZ": "CZK", "DE": "EUR", "DK": "DKK",
	"EE": "EUR", "EG": "EGP", "ES": "EUR", "FI": "EUR", "FR": "EUR", "GB": "GBP",
	"GR": "EUR", "HK": "HKD", "HR": "EUR", "HU": "HUF", "ID": "IDR", "IE": "EUR",
	"IL": "ILS", "IN": "INR", "IS": "ISK", "IT": "EUR", "JO": "JOD", "JP": "JPY",
	"KE": "KES", "KR": "KRW", "KW": "KWD", "LT": "EUR", "LU": "EUR", "LV": "EUR",
	"MA": "MAD", "MT": "EUR", "MX": "MXN", "MY": "MYR", "NG": "NGN", "NL": "EUR",
	"NO": "NOK", "NZ": "NZD", "OM": "OMR", "PE": "PEN", "PH": "PHP", "PK": "PKR",
	"PL": "PLN", "PT": "EUR", "QA": "QAR", "RO": "RON", "RS": "RSD", "SA": "SAR",
	"SE": "SEK", "SG": "SGD", "SI": "EUR", "SK": "EUR", "TH": "THB", "TN": "TND",
	"TR": "TRY", "TW": "TWD", "UA": "UAH", "US": "USD", "VN": "VND", "ZA": "ZAR",
}

// CountryCurrency returns the currency of an ISO 3166-1 alpha-2 country code
// (case-insensitive) and whether the country is known.
func CountryCurrency(country string) (Asset, bool) {
	c, ok := countryCurrency[strings.ToUpper(country)]
	return Asset(c), ok
}

// IsCountry reports whether country is an ISO 3166-1 alpha-2 code glint knows.
func IsCountry(country string) bool {
	_, ok := countryCurrency[strings.ToUpper(country)]
	return ok
}
