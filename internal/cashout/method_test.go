package cashout

import (
	"bytes"
	"encoding/csv"
	"errors"
	"testing"

	"github.com/glint-economy/glint/internal/gifting"
)

func TestNormalizeAndMask(t *testing.T) {
	tests := []struct {
		in     Method
		masked string
		field  string // the field an error names; "" when valid
	}{
		{Method{Kind: MethodPayPal, PayPalEmail: " jane@example.com "}, "PayPal j***@example.com", ""},
		{Method{Kind: MethodPayPal, PayPalEmail: "Jane <jane@example.com>"}, "", "paypal_email"},
		{Method{Kind: MethodPayPal, PayPalEmail: "jane@example.com", IBAN: "DE89370400440532013000"}, "", "kind"},
		{Method{Kind: MethodBank, HolderName: "Jane Roe", IBAN: "de89 3704 0044 0532 0130 00"}, "Bank DE89 **** 3000", ""},
		{Method{Kind: MethodBank, HolderName: "Jane Roe", IBAN: "DE89 3704 0044 0532 0130 0"}, "", "iban"},  // too short for DE
		{Method{Kind: MethodBank, HolderName: "Jane Roe", IBAN: "XX89 3704 0044 0532 0130 00"}, "", "iban"}, // no such country
		{Method{Kind: MethodBank, HolderName: "Jane Roe", AccountNumber: "000123456789", RoutingNumber: "011000015"}, "Bank ****6789 (routing 011000015)", ""},
		{Method{Kind: MethodBank, HolderName: "Jane Roe", AccountNumber: "12a45", RoutingNumber: "011000015"}, "", "account_number"},
		{Method{Kind: MethodBank, HolderName: "Jane Roe", AccountNumber: "123456", RoutingNumber: "011000016"}, "", "routing_number"},
		{Method{Kind: MethodBank, HolderName: "Jane\u202eRoe", IBAN: "DE89370400440532013000"}, "", "holder_name"},
		{Method{Kind: MethodBank, HolderName: "Jane Roe", IBAN: "DE89370400440532013000", AccountNumber: "1234"}, "", "iban"},
		{Method{Kind: "crypto"}, "", "kind"},
	}
	for _, tc := range tests {
		got, err := tc.in.Normalize()
		if tc.field != "" {
			var ge *gifting.Error
			if !errors.As(err, &ge) || ge.Details["field"] != tc.field {
				t.Errorf("%+v: error %v, want one about %s", tc.in, err, tc.field)
			}
			continue
		}
		if err != nil || got.Masked() != tc.masked {
			t.Errorf("%+v: %q %v, want %q", tc.in, got.Masked(), err, tc.masked)
		}
	}
}

func TestExportCSVDefusesFormulas(t *testing.T) {
	var b bytes.Buffer
	w := &Withdrawal{ID: "wd_1", UserID: "u", Diamonds: "20000", PayoutUnits: 5000, PayoutCurrency: "USD",
		Details: Method{Kind: MethodBank, HolderName: "=HYPERLINK(\"http://evil\")", IBAN: "DE89370400440532013000"}}
	if err := WriteExportCSV(&b, []*Withdrawal{w}); err != nil {
		t.Fatal(err)
	}
	rows, err := csv.NewReader(&b).ReadAll()
	if err != nil || len(rows) != 2 {
		t.Fatalf("%v %v", rows, err)
	}
	if got := rows[1][8]; got != "'=HYPERLINK(\"http://evil\")" {
		t.Fatalf("holder name cell %q, want it defused with a leading '", got)
	}
	if rows[1][4] != "50.00" || rows[1][9] != "DE89370400440532013000" {
		t.Fatalf("row %v", rows[1])
	}
}
