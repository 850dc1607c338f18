# testing.cmake — cc_add_test(): one cmocka binary per source file, with labels.
#
#   cc_add_test(NAME <name> SOURCES <src...> LIBS <libs...> LABELS <labels...>
#               [TIMEOUT <s>] [ENV <k=v...>])
function(cc_add_test)
  cmake_parse_arguments(T "" "NAME;TIMEOUT" "SOURCES;LIBS;LABELS;ENV" ${ARGN})
  add_executable(${T_NAME} ${T_SOURCES})
  set_target_properties(${T_NAME} PROPERTIES RUNTIME_OUTPUT_DIRECTORY ${CMAKE_BINARY_DIR}/tests)
  target_include_directories(${T_NAME} PRIVATE ${CMAKE_SOURCE_DIR} ${CMAKE_SOURCE_DIR}/tests)
  target_link_libraries(${T_NAME} PRIVATE ${T_LIBS} cc::cmocka)
  add_test(NAME ${T_NAME} COMMAND ${T_NAME})
  if(NOT T_TIMEOUT)
    set(T_TIMEOUT 60)
  endif()
  set(_env "CC_SOURCE_DIR=${CMAKE_SOURCE_DIR}" "CC_BINARY_DIR=${CMAKE_BINARY_DIR}"
           "ASAN_OPTIONS=detect_leaks=1:abort_on_error=0" "UBSAN_OPTIONS=print_stacktrace=1"
           ${T_ENV})
  set_tests_properties(${T_NAME} PROPERTIES LABELS "${T_LABELS}" TIMEOUT ${T_TIMEOUT}
                       ENVIRONMENT "${_env}")
endfunction()
