# WebSocket Inspector: the everyday commands. CMake does the real work; this file installs what is missing,
# configures once and runs the right thing.
#
#   make run      build and start the app (the headless test server when there is no display)
#   make test     build and run every test (unit, gui, integration)
#   make bench    build and run the benchmarks
#   make package  build the Debian package (wsinspector_VERSION_ARCH.deb in the build directory) with CPack
#   make fuzz     build the libFuzzer targets with clang (build-fuzz/) and run each for its own time (60 s for the
#                 frame, head and wire decoders, 30 s for the session readers) or FUZZ_SECONDS=n for all
#
# PRESET=debug or PRESET=asan (see CMakePresets.json) builds into build-debug/ or build-asan/ instead of build/.

PRESET ?= default
JOBS ?= 2
BUILD_DIR := $(if $(filter default,$(PRESET)),build,build-$(PRESET))
INSTALL_DEPS := packaging/install-deps.sh
FORMAT_DIRS := app ui tests
# The asan preset compiles with clang.
BUILD_DEPS := build $(if $(filter asan,$(PRESET)),dev)$(if $(filter fuzz,$(PRESET)),fuzz)
# Empty: each fuzz target runs for its own time (tests/fuzz/CMakeLists.txt); a number overrides them all.
FUZZ_SECONDS ?=
FUZZ_DIR := build-fuzz

# Configure only when the build directory has no cache yet; cmake --build re-runs CMake itself when a
# CMakeLists.txt changes.
define compile
	@test -f $(BUILD_DIR)/CMakeCache.txt || cmake --preset $(PRESET)
	cmake --build $(BUILD_DIR) -j $(JOBS)
endef

# Whether clang can link a libFuzzer target: clang alone compiles one but, without its runtime libraries
# (libclang-rt-dev), cannot link it.
define have_libfuzzer
(dir=$$(mktemp -d) && trap 'rm -rf "$$dir"' EXIT && \
	printf 'extern "C" int LLVMFuzzerTestOneInput(const unsigned char*, unsigned long) { return 0; }\n' >"$$dir/probe.cpp" && \
	clang++ -fsanitize=fuzzer "$$dir/probe.cpp" -o "$$dir/probe" >/dev/null 2>&1)
endef

# The fuzz preset builds only the core library and the fuzz targets; its tests are the fuzz runs.
define run_fuzzers
	@test -f $(FUZZ_DIR)/CMakeCache.txt || cmake --preset fuzz
	cmake --build $(FUZZ_DIR) -j $(JOBS)
	FUZZ_SECONDS=$(FUZZ_SECONDS) ctest --preset fuzz
endef

.PHONY: all deps test-deps build run test bench package fuzz fuzz-deps fuzz-run format clean

all: build

deps:
	@bash $(INSTALL_DEPS) $(BUILD_DEPS)

# Build and test packages in one apt-get run, before configuring: CMake looks for the Python peer.
test-deps:
	@bash $(INSTALL_DEPS) $(BUILD_DEPS) test

build: deps
	$(compile)

run: build
	@if [ -n "$$DISPLAY" ] || [ -n "$$WAYLAND_DISPLAY" ]; then \
		exec $(BUILD_DIR)/wsinspector; \
	else \
		echo "No display found: starting the headless test server instead (wsinspector serve). Press Ctrl+C to stop."; \
		exec $(BUILD_DIR)/wsinspector serve; \
	fi

# The test presets print the output of failed tests, time out after 600 s and fail when no test was found.
# Then the fuzzers, when clang can build them (test-deps installs what they need, so CI always runs them).
test: test-deps
	$(compile)
	ctest --preset $(PRESET) -j $(JOBS)
ifneq ($(PRESET),fuzz)
	@if $(have_libfuzzer); then \
		$(MAKE) --no-print-directory fuzz-run; \
	else \
		echo "make test: the fuzzers were not run: clang cannot link with -fsanitize=fuzzer (install clang and" \
			"libclang-rt-dev: $(INSTALL_DEPS) fuzz)"; \
	fi
endif

fuzz-deps:
	@bash $(INSTALL_DEPS) fuzz

fuzz: fuzz-deps
	$(run_fuzzers)

fuzz-run:
	$(run_fuzzers)

bench: build
	@set -e; found=0; \
	for b in $(BUILD_DIR)/tests/bench/bench_*; do \
		[ -f "$$b" ] && [ -x "$$b" ] || continue; \
		found=1; echo "== $$b"; "$$b"; \
	done; \
	if [ $$found -eq 0 ]; then echo "no benchmark programs in $(BUILD_DIR)/tests/bench" >&2; exit 1; fi

# Depends is computed from the binary by dpkg-shlibdeps (dpkg-dev, a build dependency).
package: build
	cd $(BUILD_DIR) && cpack -G DEB

format:
	@command -v clang-format >/dev/null || { echo "clang-format is missing: run $(INSTALL_DEPS) dev" >&2; exit 1; }
	find $(FORMAT_DIRS) \( -name '*.cpp' -o -name '*.h' \) -print0 | xargs -0 -r clang-format -i

clean:
	rm -rf build build-debug build-asan build-fuzz
