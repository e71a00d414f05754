# WebSocket Inspector: the everyday commands. CMake does the real work; this file installs what is missing,
# configures once and runs the right thing.
#
#   make run      build and start the app (the headless test server when there is no display)
#   make test     build and run every test (unit, gui, integration)
#   make bench    build and run the benchmarks
#
# PRESET=debug or PRESET=asan (see CMakePresets.json) builds into build-debug/ or build-asan/ instead of build/.

PRESET ?= default
JOBS ?= 2
BUILD_DIR := $(if $(filter default,$(PRESET)),build,build-$(PRESET))
INSTALL_DEPS := packaging/install-deps.sh
FORMAT_DIRS := app ui tests
# The asan preset compiles with clang.
BUILD_DEPS := build $(if $(filter asan,$(PRESET)),dev)

# Configure only when the build directory has no cache yet; cmake --build re-runs CMake itself when a
# CMakeLists.txt changes.
define compile
	@test -f $(BUILD_DIR)/CMakeCache.txt || cmake --preset $(PRESET)
	cmake --build $(BUILD_DIR) -j $(JOBS)
endef

.PHONY: all deps test-deps build run test bench format clean

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
test: test-deps
	$(compile)
	ctest --preset $(PRESET) -j $(JOBS)

bench: build
	@set -e; found=0; \
	for b in $(BUILD_DIR)/tests/bench/bench_*; do \
		[ -f "$$b" ] && [ -x "$$b" ] || continue; \
		found=1; echo "== $$b"; "$$b"; \
	done; \
	if [ $$found -eq 0 ]; then echo "no benchmark programs in $(BUILD_DIR)/tests/bench" >&2; exit 1; fi

format:
	@command -v clang-format >/dev/null || { echo "clang-format is missing: run $(INSTALL_DEPS) dev" >&2; exit 1; }
	find $(FORMAT_DIRS) \( -name '*.cpp' -o -name '*.h' \) -print0 | xargs -0 -r clang-format -i

clean:
	rm -rf build build-debug build-asan
