# Writes a gzipped man page from an executable's --help and --version output with help2man,
# so the options are documented once, in the program's own option tables. Script mode:
#   cmake -DHELP2MAN=... -DGZIP=... -DEXECUTABLE=... -DNAME=... -DINCLUDE=... -DOUTPUT=x.1.gz
#         -P GenerateManPage.cmake
foreach(var HELP2MAN GZIP EXECUTABLE NAME INCLUDE OUTPUT)
  if(NOT DEFINED ${var})
    message(FATAL_ERROR "GenerateManPage.cmake: ${var} is not set")
  endif()
endforeach()

# trainlab-cli --help names the default runs folder, which comes from the environment of the
# one who runs it ($TRAINLAB_RUNS, $XDG_DATA_HOME or $HOME). TRAINLAB_RUNS, taken as it is,
# makes the page name the usual default instead of the builder's home folder.
set(ENV{TRAINLAB_RUNS} "~/.local/share/trainlab/runs")
# The GUI parses --help before it opens a window; offscreen lets it start without a display.
set(ENV{QT_QPA_PLATFORM} offscreen)
set(ENV{LC_ALL} C.UTF-8)

string(REGEX REPLACE "\\.gz$" "" page "${OUTPUT}")
execute_process(
  COMMAND "${HELP2MAN}" --no-info --section=1 "--name=${NAME}" "--include=${INCLUDE}"
          "--output=${page}" "${EXECUTABLE}"
  RESULT_VARIABLE rc ERROR_VARIABLE err)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "help2man failed on ${EXECUTABLE} (exit ${rc}): ${err}")
endif()
# -n: no name or time stamp in the gzip header (reproducible; lintian checks it).
execute_process(COMMAND "${GZIP}" -9nf "${page}" RESULT_VARIABLE rc)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "gzip failed on ${page} (exit ${rc})")
endif()
