# Runs one libFuzzer target for SECONDS (default 30), or FUZZ_SECONDS (environment) when set, which overrides
# every target's own time: cmake -DFUZZER=exe -DSEEDS=dir -DWORK=dir [-DSECONDS=n] [-DEXTRA=option|option]
# -P runfuzzer.cmake. Fails, naming the saved input, on a crash, a leak, a sanitizer report, a broken property
# or an input that runs longer than -timeout.
set(seconds 30)
if(DEFINED SECONDS AND NOT SECONDS STREQUAL "")
    set(seconds ${SECONDS})
endif()
if(DEFINED ENV{FUZZ_SECONDS} AND NOT "$ENV{FUZZ_SECONDS}" STREQUAL "")
    set(seconds $ENV{FUZZ_SECONDS})
endif()
if(NOT seconds MATCHES "^[1-9][0-9]*$")
    message(FATAL_ERROR "FUZZ_SECONDS must be a whole number of seconds, not \"${seconds}\"")
endif()

string(REPLACE "|" ";" EXTRA "${EXTRA}")
# The seeds are read-only; what the fuzzer adds goes to the build folder.
file(MAKE_DIRECTORY ${WORK}/corpus ${WORK}/artifacts)
set(command ${FUZZER} -max_total_time=${seconds} -timeout=20 -rss_limit_mb=2048 -print_final_stats=1
    -artifact_prefix=${WORK}/artifacts/ ${EXTRA} ${WORK}/corpus ${SEEDS})
string(REPLACE ";" " " shown "${command}")
message(STATUS "${shown}")
execute_process(COMMAND ${command} RESULT_VARIABLE result)
if(NOT result EQUAL 0)
    file(GLOB artifacts ${WORK}/artifacts/*)
    message(FATAL_ERROR "${FUZZER} failed (${result}); the input is saved in ${WORK}/artifacts/ (${artifacts}). "
                        "Reproduce with: ${FUZZER} FILE")
endif()
