// "Did you mean ...?": the closest of the valid words to a misspelt one.
#pragma once

#include <string>
#include <vector>

namespace hornet::common {

/// Levenshtein distance.
size_t edit_distance(const std::string& a, const std::string& b);

/// The candidate closest to `word`, or "" when none is within a third of its
/// length (at least 2 edits).
std::string closest_match(const std::string& word, const std::vector<std::string>& candidates);

}  // namespace hornet::common
