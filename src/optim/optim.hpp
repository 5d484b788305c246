// Everything in physcnn::optim: optimizers, learning-rate schedules and gradient clipping.
#pragma once

#include "optim/adam.hpp"
#include "optim/clip.hpp"
#include "optim/optimizer.hpp"
#include "optim/plateau.hpp"
#include "optim/rmsprop.hpp"
#include "optim/scheduler.hpp"
#include "optim/sgd.hpp"
