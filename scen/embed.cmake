# Writes OUT, a C file defining `const char scen_default_yaml[]` with the bytes of IN
# (the built-in scenario, scenarios/demo_default.yaml) and a terminating NUL.
file(READ "${IN}" hex HEX)
string(REGEX REPLACE "([0-9a-f][0-9a-f])" "0x\\1," bytes "${hex}")
string(REGEX REPLACE "((0x..,){16})" "\\1\n    " bytes "${bytes}")
file(WRITE "${OUT}.tmp"
  "/* Generated from scenarios/demo_default.yaml by scen/embed.cmake: do not edit. */\n"
  "#include \"scen.h\"\n"
  "const char scen_default_yaml[] = {\n    ${bytes}0x00\n};\n")
execute_process(COMMAND ${CMAKE_COMMAND} -E copy_if_different "${OUT}.tmp" "${OUT}")
file(REMOVE "${OUT}.tmp")
