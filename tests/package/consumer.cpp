// Builds a zoo model through the installed package and prints its parameter count.
#include <hornet/models/classifier.h>

#include <iostream>

int main() {
  auto model = hornet::models::make_classifier("tiny", 10);
  int64_t params = 0;
  for (const auto& p : model->parameters()) params += p.numel();
  std::cout << "params " << params << "\n";
  return 0;
}
