# Warnings are set per target (no global flags): call trainlab_warnings(<target>).
function(trainlab_warnings target)
  target_compile_options(${target} PRIVATE -Wall -Wextra -Wno-unused-parameter)
endfunction()
