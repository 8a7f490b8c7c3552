// A static object of its own translation unit, used by the targets of cpp_static_main.cpp.
#ifndef CPP_STATIC_REGISTRY_H
#define CPP_STATIC_REGISTRY_H
#include <cstddef>
#include <vector>

struct Registry {
    const char *name;
    std::vector<int> values; // the cubes of 1..14: they add up to 11025
    Registry();
    int total() const;
};
extern Registry registry;
#endif
