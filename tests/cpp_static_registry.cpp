// The registry: constructed at run time, before main, in an order that depends on the link.
#include "cpp_static_registry.h"

Registry::Registry() : name("registry") {
    for (int i = 1; i <= 14; i++) values.push_back(i * i * i);
}
int Registry::total() const {
    int t = 0;
    for (std::size_t i = 0; i < values.size(); i++) t += values[i];
    return t;
}
Registry registry;
