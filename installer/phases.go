package installer

// Phases is the install plan, in order. A phase that does not apply to a
// spec says so itself (ShouldRun), so that plan always shows the whole list.
func Phases() []Phase {
	return []Phase{
		&PreflightPhase{},
		&DNSPhase{},
		&LoadBalancerPhase{},
		&RegistryPhase{},
		&MirrorPhase{},
		&InstallConfigPhase{},
		&ManifestsPhase{},
		&IgnitionPhase{},
		&HTTPPhase{},
		&BootPhase{},
		&BootstrapPhase{},
		&ApprovePhase{},
		&ScalePhase{},
		&CompletePhase{},
	}
}

// PhaseNames lists the phase names in order.
func PhaseNames() []string {
	var names []string
	for _, p := range Phases() {
		names = append(names, p.Name())
	}
	return names
}
