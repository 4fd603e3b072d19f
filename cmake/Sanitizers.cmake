# WAITSCOPE_SANITIZE (e.g. "address;undefined") applies to every host target built
# after this point. Static lab programs opt out (they cannot link -static with ASan).
if(WAITSCOPE_SANITIZE)
    list(JOIN WAITSCOPE_SANITIZE "," _ws_san)
    add_compile_options(-fsanitize=${_ws_san} -fno-omit-frame-pointer -fno-sanitize-recover=all)
    add_link_options(-fsanitize=${_ws_san})
endif()
