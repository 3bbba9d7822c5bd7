# imagepipe — see README.md.
SHELL := /bin/bash
LAMBDAS := fetch resize persist notify recordfailure uploadurl metrics
BUILD := build
GOFLAGS_LAMBDA := -trimpath -buildvcs=false -tags lambda.norpc -ldflags='-s -w -buildid='

.PHONY: build test bench dev run fuzz vet clean $(LAMBDAS:%=$(BUILD)/%.zip)

## build: each Lambda as a static linux/arm64 bootstrap, zipped reproducibly under build/
build: $(LAMBDAS:%=$(BUILD)/%.zip)

$(BUILD)/%.zip:
	@mkdir -p $(BUILD)/$*
	CGO_ENABLED=0 GOOS=linux GOARCH=arm64 go build $(GOFLAGS_LAMBDA) \
		-o $(BUILD)/$*/bootstrap ./steps/$*/lambda
	touch -t 198001010000 $(BUILD)/$*/bootstrap
	rm -f $@ && cd $(BUILD)/$* && zip -X -q ../$*.zip bootstrap

## test: every test, against in-process emulators on loopback
test:
	go vet ./...
	go test ./...

## bench: the benchmarks, each beside its anchor in the same run
bench:
	go test -run '^$$' -bench . -benchmem ./...

clean:
	rm -rf $(BUILD)
