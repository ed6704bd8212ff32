// Until the object stage (detect-model's objects.cpp) is merged: the
// label names of objects.h, which the config needs. Deleted by that merge.
#include "detect/objects.h"

namespace vigil::detect {

std::string_view labelName(Label label) {
  switch (label) {
    case Label::kPerson: return "person";
    case Label::kVehicle: return "vehicle";
    case Label::kAnimal: return "animal";
  }
  return "person";
}

std::optional<Label> parseLabel(std::string_view name) {
  for (Label label : {Label::kPerson, Label::kVehicle, Label::kAnimal}) {
    if (labelName(label) == name) return label;
  }
  return std::nullopt;
}

}  // namespace vigil::detect
