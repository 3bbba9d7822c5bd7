# imagepipe — see README.md.
SHELL := /bin/bash
LAMBDAS := fetch resize persist notify recordfailure uploadurl metrics images
BUILD := build
GOFLAGS_LAMBDA := -trimpath -buildvcs=false -tags lambda.norpc -ldflags='-s -w -buildid='

CONFORMANCE := statemachine/conformance

.PHONY: build test bench bench-resize dev run fuzz deps node-deps browser-deps clean $(LAMBDAS:%=$(BUILD)/%.zip)

## build: each Lambda as a static linux/arm64 bootstrap, zipped reproducibly under build/
build: $(LAMBDAS:%=$(BUILD)/%.zip)

$(LAMBDAS:%=$(BUILD)/%.zip): $(BUILD)/%.zip:
	@mkdir -p $(BUILD)/$*
	CGO_ENABLED=0 GOOS=linux GOARCH=arm64 go build $(GOFLAGS_LAMBDA) \
		-o $(BUILD)/$*/bootstrap ./steps/$*/lambda
	touch -t 198001010000 $(BUILD)/$*/bootstrap
	rm -f $@ && cd $(BUILD)/$* && zip -X -q ../$*.zip bootstrap

## test: every test, against in-process emulators on loopback
test: deps node-deps
	go vet ./...
	IMAGEPIPE_REQUIRE_NODE=1 go test ./...

## deps: the Debian packages the build and tests need (installed when root)
DEBS := zip chromium
deps:
	@missing=""; for p in $(DEBS); do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then \
		if [ "$$(id -u)" = 0 ]; then apt-get update -qq && \
			DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing; \
		else echo "install these Debian packages first:$$missing"; exit 1; fi; \
	fi

## node-deps: the pinned Node tools of the state machine's conformance suite
## and of the dev page's browser test
node-deps: $(CONFORMANCE)/node_modules/.package-lock.json browser-deps

$(CONFORMANCE)/node_modules/.package-lock.json: $(CONFORMANCE)/package.json \
		$(CONFORMANCE)/package-lock.json
	npm ci --prefix $(CONFORMANCE) --no-audit --no-fund --loglevel=error
	touch $@

## browser-deps: playwright-core for the dev page's browser test (cmd/imagepipe/e2e)
E2E := cmd/imagepipe/e2e
browser-deps: $(E2E)/node_modules/.package-lock.json

$(E2E)/node_modules/.package-lock.json: $(E2E)/package.json $(E2E)/package-lock.json
	npm ci --prefix $(E2E) --no-audit --no-fund --loglevel=error
	touch $@

## bench: the benchmarks, each beside its anchor in the same run, then the
## resize step beside libvips, vipsthumbnail and ImageMagick (bench-resize)
bench:
	go test -run '^$$' -bench . -benchmem ./...
	$(MAKE) bench-resize

## bench-resize: the resize step on real photographs beside libvips,
## vipsthumbnail and ImageMagick (installs the Debian tools and photos it needs)
bench-resize:
	bash shared/imaging/bench/run.sh

clean:
	rm -rf $(BUILD)

## dev: the whole system on this machine with its web page (imagepipe dev -help)
dev:
	go run ./cmd/imagepipe dev

## run: put the sample photos (and a file that is not an image) through the
## local pipeline and print each image's item
SAMPLES := shared/localstack/pipeline/testdata
run:
	go run ./cmd/imagepipe run $(SAMPLES)/photo.jpg $(SAMPLES)/dune.png $(SAMPLES)/wood.gif \
		$(SAMPLES)/README.md || true

## fuzz: the sniffing, header-reading and JPEG decoding fuzz targets, for a bounded time
FUZZTIME ?= 30s
fuzz:
	go test ./shared/imaging/ -run '^$$' -fuzz '^FuzzReadHeader$$' -fuzztime $(FUZZTIME)
	go test ./shared/imaging/ -run '^$$' -fuzz '^FuzzSniff$$' -fuzztime $(FUZZTIME)
	go test ./shared/imaging/internal/jpegdec/ -run '^$$' -fuzz '^FuzzDecode$$' \
		-fuzztime $(FUZZTIME) -fuzzminimizetime 5s
