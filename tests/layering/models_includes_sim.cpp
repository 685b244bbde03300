// Must compile: models are written against sim/. The `layering` test's control case.
#include "sim/execution.hpp"
