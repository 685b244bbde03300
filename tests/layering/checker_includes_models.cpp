// Must NOT compile: the checker never sees models. Built by the `layering` test, which expects failure.
#include "models/registry.hpp"
