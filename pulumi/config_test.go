package main

import (
	"maps"
	"os"
	"regexp"
	"slices"
	"strconv"
	"testing"
)

// exampleLine is one imagepipe setting of Pulumi.dev.yaml.example.
var exampleLine = regexp.MustCompile(`(?m)^  imagepipe:([A-Za-z]+): (.*)$`)

func TestExampleStackListsEveryKeyWithItsDefault(t *testing.T) {
	b, err := os.ReadFile("../Pulumi.dev.yaml.example")
	if err != nil {
		t.Fatal(err)
	}
	example := map[string]string{}
	for _, m := range exampleLine.FindAllStringSubmatch(string(b), -1) {
		v, err := strconv.Unquote(m[2])
		if err != nil {
			t.Errorf("imagepipe:%s: quote the value %s", m[1], m[2])
		}
		example[m[1]] = v
	}
	if !maps.Equal(example, configDefaults) {
		for _, k := range slices.Sorted(maps.Keys(configDefaults)) {
			if example[k] != configDefaults[k] {
				t.Errorf("%s: example %q, program default %q", k, example[k], configDefaults[k])
			}
		}
		for k := range example {
			if _, ok := configDefaults[k]; !ok {
				t.Errorf("%s is in the example but the program never reads it", k)
			}
		}
	}
}

func TestScheduleExpressions(t *testing.T) {
	for in, want := range map[string]string{
		"1 minute":          "rate(1 minute)",
		"5 minutes":         "rate(5 minutes)",
		"rate(1 hour)":      "rate(1 hour)",
		"cron(0 * * * ? *)": "cron(0 * * * ? *)",
		"1 minutes":         "",
		"5 minute":          "",
		"hourly":            "",
	} {
		got, err := scheduleExpression(in)
		if got != want || (err == nil) != (want != "") {
			t.Errorf("scheduleExpression(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
	for rate, want := range map[string]int{"1 minute": 300, "10 minutes": 600,
		"rate(2 hours)": 7200, "7 days": 86400, "cron(0 0 * * ? *)": 86400} {
		if got := bucketSizePeriod(rate); got != want {
			t.Errorf("bucketSizePeriod(%q) = %d, want %d", rate, got, want)
		}
	}
}
