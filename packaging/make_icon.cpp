// Build-time tool: write the waitscope icon as PNG at the sizes given (waitscope_icon OUT
// SIZE), from the same code that draws the window icon.
#include <stb_image_write.h>

#include <cstdio>
#include <cstdlib>

#include "platform/icon.hpp"

int main(int argc, char** argv) {
    if (argc != 3) {
        std::fprintf(stderr, "usage: waitscope_icon OUT.png SIZE\n");
        return 2;
    }
    int size = std::atoi(argv[2]);
    if (size < 16 || size > 1024) {
        std::fprintf(stderr, "waitscope_icon: size 16..1024\n");
        return 2;
    }
    auto px = waitscope::app::drawIcon(size);
    if (!stbi_write_png(argv[1], size, size, 4, px.data(), size * 4)) {
        std::fprintf(stderr, "waitscope_icon: cannot write %s\n", argv[1]);
        return 1;
    }
    return 0;
}
