// Must NOT compile: models see sim/ only. Built by the `layering` test, which expects failure.
#include "checker/dpor.hpp"
