package main

func setup(s *State) {}
