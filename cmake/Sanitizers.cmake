# WAITSCOPE_SANITIZE (e.g. "address;undefined") applies to every host target built
# after this point. Static lab programs opt out (they cannot link -static with ASan).
if(WAITSCOPE_SANITIZE)
    list(JOIN WAITSCOPE_SANITIZE "," _ws_san)
    add_compile_options(-fsanitize=${_ws_san} -fno-omit-frame-pointer -fno-sanitize-recover=all)
    add_link_options(-fsanitize=${_ws_san})
endif()

# waitscope_no_sanitize(<target>): build <target> without the sanitizers, for
# code that must load into a process that was not built with them (a Python
# extension module imported by /usr/bin/python3: the ASan runtime has to come
# first in the process, and python3 does not have it).
function(waitscope_no_sanitize target)
    if(NOT WAITSCOPE_SANITIZE)
        return()
    endif()
    foreach(prop COMPILE_OPTIONS LINK_OPTIONS)
        get_target_property(_opts ${target} ${prop})
        if(_opts)
            list(FILTER _opts EXCLUDE REGEX "^-fsanitize|^-fno-sanitize-recover")
            set_target_properties(${target} PROPERTIES ${prop} "${_opts}")
        endif()
    endforeach()
endfunction()
