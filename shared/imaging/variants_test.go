package imaging_test

import (
	"errors"
	"reflect"
	"testing"

	"github.com/imagepipe/imagepipe/shared/imaging"
)

func TestParseVariants(t *testing.T) {
	cases := []struct {
		spec string
		want []imaging.Variant // nil: an InvalidVariantsError
	}{
		{"large:1600,medium:800,thumb:200",
			[]imaging.Variant{{"large", 1600}, {"medium", 800}, {"thumb", 200}}},
		{" large : 1600 ,\tthumb:200 \n", []imaging.Variant{{"large", 1600}, {"thumb", 200}}},
		{"thumb:200,large:1600", []imaging.Variant{{"thumb", 200}, {"large", 1600}}},
		{"a_b-9:1", []imaging.Variant{{"a_b-9", 1}}},
		{"max:10000", []imaging.Variant{{"max", 10000}}},
		{"", nil},
		{"   ", nil},
		{"large", nil},
		{"large:", nil},
		{":800", nil},
		{"large:0", nil},
		{"large:-5", nil},
		{"large:10001", nil},
		{"large:1e3", nil},
		{"large:800px", nil},
		{"Large:800", nil},
		{"lar ge:800", nil},
		{"large:800,", nil},
		{"large:800,,thumb:200", nil},
		{"large:800,large:200", nil},
		{"large:800:2", nil},
	}
	for _, c := range cases {
		t.Run(c.spec, func(t *testing.T) {
			got, err := imaging.ParseVariants(c.spec)
			if c.want == nil {
				var invalid *imaging.InvalidVariantsError
				if !errors.As(err, &invalid) || got != nil {
					t.Fatalf("ParseVariants = %v, %v; want an InvalidVariantsError", got, err)
				}
				return
			}
			if err != nil || !reflect.DeepEqual(got, c.want) {
				t.Errorf("ParseVariants = %v, %v; want %v", got, err, c.want)
			}
		})
	}
}
